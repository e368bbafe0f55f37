import { expect, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs, watchErrors } from './helpers';

// "I don't recognise this": an owner reports an access from their history, is shown how
// to secure their account, and a security admin finds the report and marks it handled.
// Without JavaScript an owner reports a request the same way.
const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
const token = process.env.GLASSBOX_TOKEN ?? '';

test('an owner reports an access they do not recognise, and a security admin handles it', async ({ browser }) => {
  const note = `E2E not me ${Date.now()}`;
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  const errors = watchErrors(owner);
  await signInAs(owner, 'Alice Martin');
  await owner.goto('/me/history');
  await hydrated(owner);
  const row = owner.getByRole('table', { name: /Accesses to your mailbox/ }).locator('tbody tr').first();
  await row.getByRole('link', { name: "I don't recognise this" }).click();
  await expect(owner.getByRole('heading', { level: 1 })).toHaveText('Report something you do not recognise');
  await expect(owner.getByRole('table', { name: 'The access you are reporting' })).toBeVisible();
  await expect(owner.getByRole('heading', { name: 'Secure your account' })).toBeVisible();
  await hydrated(owner);
  await expectAccessible(owner);
  await owner.getByLabel(/What seems wrong/).fill(note);
  await owner.getByRole('button', { name: 'Report this to the security team' }).click();
  await expect(owner.getByRole('status')).toContainText('The security team has been told');
  await expect(owner.getByRole('button', { name: 'Report this to the security team' })).toHaveCount(0);
  await expect(owner.locator('ol.checklist li').first()).toContainText('Change your mailbox password');
  await expectAccessible(owner);
  expect(errors).toEqual([]);

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signInAs(admin, 'Inês Duarte');
  await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: "Owners' reports" }).click();
  await hydrated(admin);
  const report = admin.locator('article.report', { hasText: note });
  await expect(report).toContainText('alice@example.org');
  await expectAccessible(admin);
  await report.getByRole('button', { name: 'Mark as handled' }).click();
  await expect(admin.getByRole('status')).toContainText('Marked as handled.');
  await expect(admin.locator('article.report', { hasText: note })).toContainText('Handled on');
  await expect(admin.locator('article.report', { hasText: note })).toContainText('by Inês Duarte');
  await ownerContext.close();
  await adminContext.close();
});

test('without JavaScript an owner reports a request they do not recognise', async ({ browser }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signInAs(page, 'Alice Martin');
  const res = await page.request.post(`${base}/api/v1/access-requests`, {
    headers: { authorization: `Bearer ${token}` },
    data: { mailbox: 'alice@example.org', agent: 'sam.rivera', scopes: ['metadata'], justification: { code: 'service_maintenance', text: `E2E no-JS report ${Date.now()}` } },
  });
  expect(res.status()).toBe(201);
  const id = (await res.json()).id;
  await page.goto(`/me/requests/${id}`);
  await page.getByRole('link', { name: "I don't recognise this request" }).click();
  await expect(page).toHaveURL(new RegExp(`/me/report\\?request=${id}$`));
  await page.getByRole('button', { name: 'Report this to the security team' }).click();
  await expect(page).toHaveURL(new RegExp(`/me/report\\?request=${id}&done=reported$`));
  await expect(page.getByRole('status')).toContainText('The security team has been told');
  await context.close();
});
