import { expect, test } from '@playwright/test';
import { byName, confirmWithPasskey, hydrated, signInAs, watchErrors } from './helpers';

// A security admin reviews the staff roster: recertifies an agent and disables one, each only
// after ticking its confirmation; support agents cannot open the roster at all.

test('a security admin recertifies and disables an agent from the roster, each after confirming', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: byName });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signInAs(page, 'Inês Duarte');
  // Disabling needs a passkey confirmed in the last few minutes.
  await confirmWithPasskey(page, 'Inês Duarte', '/admin/staff');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Who may do what' })).toBeVisible();
  const roster = page.getByRole('table', { name: /Staff accounts/ });
  const priya = roster.getByRole('row').filter({ hasText: 'priya.nair@staff.example.org' });

  // Recertify: refused by the browser until the box is ticked, then done and said.
  await priya.getByRole('button', { name: 'Recertify' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Recertified' })).toHaveCount(0);
  await priya.getByRole('checkbox', { name: /I checked that Priya Nair still needs to ask for access/ }).check();
  await priya.getByRole('button', { name: 'Recertify' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Recertified' })).toContainText('another full period');

  // Disable Tomás: confirmed, then his row says so and offers nothing more.
  const tomas = roster.getByRole('row').filter({ hasText: 'tomas.becker@staff.example.org' });
  await tomas.getByRole('checkbox', { name: /Yes, disable Tomás Becker/ }).check();
  await tomas.getByRole('button', { name: 'Disable' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Disabled.' })).toContainText('their open requests and grants were withdrawn');
  await expect(tomas).toContainText('None: disabled');
  await expect(tomas.getByRole('button', { name: 'Disable' })).toHaveCount(0);
  // The change is listed among the latest roster changes.
  await expect(page.getByRole('region', { name: 'Latest roster changes' })).toContainText('Tomás Becker');

  // An admin cannot disable themselves.
  const me = roster.getByRole('row').filter({ hasText: 'ines.duarte@staff.example.org' });
  await expect(me).toContainText('You (another admin can disable you)');
  await expect(me.getByRole('button', { name: 'Disable' })).toHaveCount(0);
  expect(errors).toEqual([]);
  await context.close();

  // A disabled agent can no longer sign in to ask.
  const tomasContext = await browser.newContext();
  const tomasPage = await tomasContext.newPage();
  await tomasPage.goto('/auth/demo');
  await expect(tomasPage.getByRole('button', { name: /Sign in as Tomás Becker/ })).toHaveCount(0);
  await tomasContext.close();
});

test('a support agent cannot open the roster', async ({ page }) => {
  await signInAs(page, 'Sam Rivera');
  const res = await page.goto('/admin/staff');
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('alert')).toContainText('You do not have access to this page.');
  await expect(page.getByRole('table')).toHaveCount(0);
  await expect(page.getByText('priya.nair@staff.example.org')).toHaveCount(0);
});

test("a security admin opens one agent's accesses, narrows them to refusals, and can download them", async ({ page }) => {
  const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
  const token = process.env.GLASSBOX_TOKEN ?? '';
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  // One refused access of Sam's, whatever else the demo holds.
  const check = await page.request.post(`${base}/api/v1/access/check`, {
    headers: { authorization: `Bearer ${token}` },
    data: { mailbox: 'emeka.obi@example.org', agent: 'sam.rivera', scope: 'content', action: 'read_message', resource: 'message:e2e-refused' },
  });
  expect((await check.json()).decision).toBe('deny');
  await signInAs(page, 'Morgan Lee');
  await page.goto('/admin/staff');
  await hydrated(page);
  await page.getByRole('link', { name: 'Sam Rivera' }).click();
  await page.getByRole('link', { name: /Every access they made/ }).click();
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Accesses by Sam Rivera');
  const form = page.getByRole('form', { name: "Filter this staff member's accesses" });
  await expect(form.getByLabel('Who')).toHaveCount(0);
  await form.getByLabel('Result').selectOption('denied');
  await form.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/decision=denied/);
  const rows = page.getByRole('table', { name: /This staff member's accesses/ }).locator('tbody tr');
  await expect(rows.first()).toBeVisible();
  for (const text of await rows.locator('td[data-label="Result"]').allTextContents()) expect(text).toContain('Refused');
  await expect(page.getByRole('link', { name: 'CSV' })).toHaveAttribute('href', /\/accesses\.csv\?decision=denied$/);
  const csv = await page.request.get((await page.getByRole('link', { name: 'CSV' }).getAttribute('href'))!);
  expect(csv.status()).toBe(200);
  expect((await csv.text()).split('\r\n')[0]).toContain('log_index,time,mailbox,agent');
});
