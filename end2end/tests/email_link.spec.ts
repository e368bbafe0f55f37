import { APIRequestContext, expect, test } from '@playwright/test';
import { hydrated, signInAs, watchErrors } from './helpers';

const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
const token = process.env.GLASSBOX_TOKEN ?? '';
const maildev = process.env.MAILDEV_API ?? 'http://127.0.0.1:1080';

/** Waits for the message in MailDev to `to` whose text contains `text` (MailDev is shared: never clear it). */
async function emailTo(request: APIRequestContext, to: string, text: string): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const all = await (await request.get(`${maildev}/api/email`)).json();
    const found = all.find((m: any) => m.to.some((t: any) => t.address === to) && (m.text ?? '').includes(text));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no email to ${to} containing ${text}`);
}

test('the owner opens the request email in MailDev, follows its link, signs in and approves', async ({ page, request }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const reason = `E2E email ${Date.now()}: you asked us to check your filters`;

  // The mail system asks on an agent's behalf.
  const created = await request.post(`${base}/api/v1/access-requests`, {
    headers: { authorization: `Bearer ${token}` },
    data: {
      mailbox: 'alice@example.org', agent: 'priya.nair', scopes: ['metadata'], duration_minutes: 15,
      justification: { code: 'customer_initiated_support', text: reason, ticket: 'T-900' },
    },
  });
  expect(created.status()).toBe(201);
  const id = (await created.json()).id;

  // The email reaches the real SMTP server; the owner opens it there.
  const email = await emailTo(request, 'alice@example.org', reason);
  expect(email.subject).toContain('Access request for alice@example.org');
  await page.goto(`${maildev}/api/email/${email.id}/html`);
  await expect(page.getByRole('heading', { name: /asks to access your mailbox alice@example\.org/ })).toBeVisible();
  await page.getByRole('link', { name: 'Review the request and decide' }).click();

  // The link only shows the request; approving needs a sign-in.
  const errors = watchErrors(page);
  await expect(page).toHaveURL(/\/email\/requests\//);
  await expect(page.getByRole('heading', { name: 'Your decision' })).toBeVisible();
  await expect(page.getByText(reason)).toBeVisible();
  const status = await request.get(`${base}/api/v1/access-requests/${id}`, { headers: { authorization: `Bearer ${token}` } });
  expect((await status.json()).status).toBe('pending');
  await page.getByRole('link', { name: 'Sign in to approve' }).click();
  await page.locator('#login').fill('alice');
  await page.locator('#password').fill('alice-pw');
  await page.locator('#submit').click();

  // Back on the request's own page, signed in: approve.
  await expect(page).toHaveURL(new RegExp(`/me/requests/${id}$`));
  await expect(page.getByRole('heading', { name: 'Your decision' })).toBeVisible();
  await hydrated(page);
  await page.getByRole('checkbox', { name: /I allow Agent .* for 15 minutes/ }).check();
  await page.getByRole('button', { name: 'Approve access' }).click();
  await expect(page.getByRole('status')).toContainText('You approved this request');

  // The agent hears about it by email too.
  const approved = await emailTo(request, 'priya.nair@staff.example.org', 'T-900');
  expect(approved.subject).toBe('Approved: your access request for alice@example.org');
  expect(errors).toEqual([]);
});

test('an owner switches access emails to a daily summary and back', async ({ page }) => {
  const errors = watchErrors(page);
  await signInAs(page, 'Alice Martin');
  await page.getByRole('link', { name: 'Email settings' }).click();
  await expect(page.getByRole('heading', { name: 'Email settings' })).toBeVisible();
  await hydrated(page);
  await expect(page.getByRole('radio', { name: /Email me when someone starts accessing/ })).toBeChecked();
  await page.getByRole('radio', { name: 'One summary email a day' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved: One summary email a day.');
  await page.reload();
  await expect(page.getByRole('radio', { name: 'One summary email a day' })).toBeChecked();
  await hydrated(page);
  await page.getByRole('radio', { name: /Email me when someone starts accessing/ }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved: Email me when someone starts accessing my mailbox.');
  expect(errors).toEqual([]);
});
