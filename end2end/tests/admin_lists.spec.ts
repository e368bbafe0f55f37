import { expect, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs, watchErrors } from './helpers';

// The security admin's lists: every access request a page at a time (also without
// JavaScript), filtered; an incident draft edited, then discarded after a confirmation.
const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
const token = process.env.GLASSBOX_TOKEN ?? '';

test('all access requests page past the first fifty and filter through the query string', async ({ page }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const errors = watchErrors(page);
  const tag = `E2E paging ${Date.now()}`;
  for (let i = 0; i < 55; i++) {
    const res = await page.request.post(`${base}/api/v1/access-requests`, {
      headers: { authorization: `Bearer ${token}` },
      data: { mailbox: 'dana@example.org', agent: 'sam.rivera', scopes: ['metadata'], justification: { code: 'service_maintenance', text: `${tag} #${i}` } },
    });
    expect(res.status()).toBe(201);
  }
  await signInAs(page, 'Morgan Lee');
  await page.goto('/staff');
  await hydrated(page);
  const cards = page.locator('article.request-card');
  await expect(cards).toHaveCount(50);
  await expect(page.getByText(/requests in all; this page shows 50, newest first/)).toBeVisible();
  const firstOnPageOne = await cards.first().getAttribute('data-request');

  // Older, then back.
  await page.getByRole('link', { name: 'Older requests' }).click();
  await expect(page).toHaveURL(/\/staff\?before=/);
  await expect(cards.first()).not.toHaveAttribute('data-request', firstOnPageOne!);
  const firstOnPageTwo = await cards.first().getAttribute('data-request');
  await page.getByRole('link', { name: 'Newer requests' }).click();
  await expect(page).toHaveURL(/\/staff\?after=/);
  await expect(cards.first()).toHaveAttribute('data-request', firstOnPageOne!);
  expect(firstOnPageTwo).not.toEqual(firstOnPageOne);

  // Search for this test's requests: 55 of them, two pages.
  await page.getByLabel('Search').fill(tag);
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/q=E2E/);
  await expect(page.getByText('55 matching requests; this page shows 50, newest first.')).toBeVisible();
  await page.getByLabel('Status', { exact: true }).selectOption('cancelled');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByText('No requests match this filter.')).toBeVisible();
  await expectAccessible(page);
  expect(errors).toEqual([]);
});

test('without JavaScript the request list still pages and filters', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signInAs(page, 'Morgan Lee');
  await page.goto('/staff?status=pending');
  await expect(page.getByLabel('Status', { exact: true })).toHaveValue('pending');
  await expect(page.getByText(/matching requests/)).toBeVisible();
  await page.goto('/staff');
  const older = page.getByRole('link', { name: 'Older requests' });
  if (await older.count()) {
    await older.click();
    await expect(page).toHaveURL(/\/staff\?before=/);
    await expect(page.locator('article.request-card').first()).toBeVisible();
  }
  await context.close();
});

test('a draft incident is edited, and discarded only once the box is ticked', async ({ page }) => {
  const errors = watchErrors(page);
  await signInAs(page, 'Morgan Lee');
  await page.goto('/admin/incidents');
  await hydrated(page);
  const title = `E2E draft ${Date.now()}`;
  await page.getByLabel('Title (owners read it)').fill(title);
  await page.getByLabel('What happened, in plain words').fill('A draft the browser suite throws away.');
  await page.getByLabel('Cause').selectOption('other');
  await page.getByLabel('Window start (UTC)').fill('2026-11-01T00:00');
  await page.getByLabel('Window end (UTC)').fill('2026-11-02T00:00');
  await page.getByRole('button', { name: 'Declare and show the affected mailboxes' }).click();
  await expect(page).toHaveURL(/\/admin\/incidents\/[0-9a-f-]{36}$/);
  await hydrated(page);

  // Edit.
  const edited = `${title} (edited)`;
  await page.getByLabel('Title (owners read it)').fill(edited);
  await page.getByRole('button', { name: 'Save the draft' }).click();
  await expect(page.getByRole('status')).toContainText('The draft is saved');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(edited);
  await expectAccessible(page);

  // Discard: not without the box.
  const url = page.url();
  await page.getByRole('button', { name: 'Discard the draft' }).click();
  await expect(page).toHaveURL(url);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(edited);
  await page.getByRole('checkbox', { name: /Throw this draft away/ }).check();
  await page.getByRole('button', { name: 'Discard the draft' }).click();
  await expect(page).toHaveURL(/\/admin\/incidents$/);
  await expect(page.getByRole('link', { name: edited })).toHaveCount(0);
  expect(errors).toEqual([]);
});
