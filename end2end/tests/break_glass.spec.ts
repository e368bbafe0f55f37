import { APIRequestContext, expect, test } from '@playwright/test';
import { byName, confirmWithPasskey, expectAccessible, hydrated, signInAs, watchErrors } from './helpers';

// Emergency access (break-glass): one security admin opens it, cannot approve it herself, a
// second admin approves it, the owner is emailed at once and sees it marked, with nothing to
// decide; then an admin ends it early.
const maildev = process.env.MAILDEV_API ?? 'http://127.0.0.1:1080';

async function emailTo(request: APIRequestContext, to: string, text: string): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const all = await (await request.get(`${maildev}/api/email`)).json();
    const found = all.find((m: any) => m.to.some((t: any) => t.address === to) && (m.text ?? '').includes(text));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no email to ${to} containing ${text}`);
}

test('two security admins open and approve an emergency access, and the owner sees it marked', async ({ browser, request }) => {
  const reference = `E2E-${Date.now()}`;

  // Inês opens it for Priya on Chen's mailbox; the page says it waits, and she cannot approve it.
  const inesContext = await browser.newContext();
  const ines = await inesContext.newPage();
  const errors = watchErrors(ines);
  await signInAs(ines, 'Inês Duarte');
  await ines.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Emergency access' }).click();
  await hydrated(ines);
  await expect(ines.getByRole('heading', { name: 'Who may do what' })).toBeVisible();
  const form = ines.getByRole('region', { name: 'Open an emergency access' });
  await form.getByLabel('Mailbox', { exact: true }).fill('chen.wei@example.org');
  await form.getByLabel('Who will use it').selectOption({ label: 'Priya Nair <priya.nair@staff.example.org>' });
  await form.getByRole('checkbox', { name: /^Folders, senders, subjects and dates/ }).check();
  await form.getByLabel('Why it cannot wait for the owner').selectOption('legal_request');
  await form.getByLabel(/Explain, in words the owner will read/).fill('A court order asks for the sign-in history of this mailbox');
  await form.getByLabel(/Reference/).fill(reference);
  await form.getByLabel('For how long (minutes)').fill('30');
  await form.getByRole('checkbox', { name: /This cannot wait for the owner's consent/ }).check();
  await form.getByRole('button', { name: 'Open emergency access' }).click();
  await expect(ines.getByRole('status').filter({ hasText: 'Opened.' })).toBeVisible();
  const mine = ines.locator('article.emergency', { hasText: reference });
  await expect(mine).toContainText('Waiting for a second security admin');
  await expect(mine).toContainText('You cannot approve this one');
  await expect(mine.getByRole('button', { name: 'Approve emergency access' })).toHaveCount(0);
  await expectAccessible(ines);
  expect(errors).toEqual([]);

  // Morgan approves it, after ticking that he checked the reason and reference; without a
  // recent passkey the page sends him to confirm one first.
  const morganContext = await browser.newContext({ baseURL: byName });
  const morgan = await morganContext.newPage();
  await signInAs(morgan, 'Morgan Lee');
  await morgan.goto('/admin/emergency');
  await hydrated(morgan);
  const waiting = morgan.locator('article.emergency', { hasText: reference });
  await waiting.getByRole('checkbox', { name: /I checked the reason and the reference myself/ }).check();
  await waiting.getByRole('button', { name: 'Approve emergency access' }).click();
  await expect(morgan.getByRole('alert')).toContainText('This needs your security key');
  await expect(morgan.getByRole('link', { name: 'Confirm with your security key' })).toHaveAttribute('href', '/staff/confirm?return_to=/admin/emergency');
  await expect(waiting).toContainText('Waiting for a second security admin');
  await confirmWithPasskey(morgan, 'Morgan Lee', '/admin/emergency');
  await hydrated(morgan);
  const theirs = morgan.locator('article.emergency', { hasText: reference });
  await theirs.getByRole('checkbox', { name: /I checked the reason and the reference myself/ }).check();
  await theirs.getByRole('button', { name: 'Approve emergency access' }).click();
  await expect(theirs).toContainText('Live: approved by Morgan Lee');
  await morganContext.close();

  // Chen is emailed at once, and sees it marked, with nothing for her to decide.
  const email = await emailTo(request, 'chen.wei@example.org', reference);
  expect(email.subject).toBe('Emergency access to your mailbox chen.wei@example.org');
  expect(email.text).toContain('You were not asked');
  const chenContext = await browser.newContext();
  const chen = await chenContext.newPage();
  await signInAs(chen, 'Chen Wei');
  await chen.goto('/me');
  await hydrated(chen);
  const card = chen.getByRole('article', { name: /Emergency access for/ });
  await expect(card.getByRole('note')).toContainText('the security team opened this without asking you');
  await card.getByRole('link', { name: 'See this emergency access' }).click();
  await hydrated(chen);
  await expect(chen.getByText('There is nothing for you to decide')).toBeVisible();
  await expect(chen.getByRole('button', { name: 'Revoke access now' })).toHaveCount(0);
  await expectAccessible(chen);
  await chenContext.close();

  // Inês ends it early, saying why; the page says it ended.
  await ines.reload();
  await hydrated(ines);
  const live = ines.locator('article.emergency', { hasText: reference });
  await live.getByLabel(/Why it ends now/).fill('The court order was withdrawn');
  await live.getByRole('button', { name: 'End now' }).click();
  await expect(live).toContainText('Ended early by a security admin');
  await inesContext.close();
});

test('a support agent cannot open the emergency access page', async ({ page }) => {
  await signInAs(page, 'Sam Rivera');
  const res = await page.goto('/admin/emergency');
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('button', { name: 'Open emergency access' })).toHaveCount(0);
});
