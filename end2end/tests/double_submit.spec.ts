import { expect, Page, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs, watchErrors } from './helpers';

// A double-click is one action: the owner sees their own decision (never "already
// decided", never a tamper warning), the agent's "Send request" makes one request.
const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
const token = process.env.GLASSBOX_TOKEN ?? '';

async function newRequest(page: Page, text: string, scopes = ['metadata']): Promise<string> {
  const res = await page.request.post(`${base}/api/v1/access-requests`, {
    headers: { authorization: `Bearer ${token}` },
    data: { mailbox: 'alice@example.org', agent: 'sam.rivera', scopes, justification: { code: 'service_maintenance', text } },
  });
  expect(res.status()).toBe(201);
  return (await res.json()).id;
}

/** Watches the page for a tamper warning for as long as the test runs. */
function watchTamperWarnings(page: Page): () => Promise<number> {
  let seen = 0;
  const timer = setInterval(async () => {
    seen += await page.locator('[data-log-check="failed"]').count().catch(() => 0);
  }, 50);
  return async () => {
    clearInterval(timer);
    return seen + (await page.locator('[data-log-check="failed"]').count());
  };
}

test('a double-click on "Approve access" approves once, and the page never warns of tampering', async ({ page }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const errors = watchErrors(page);
  await signInAs(page, 'Alice Martin');
  const id = await newRequest(page, `E2E double approve ${Date.now()}`);
  await page.goto(`/me/requests/${id}`);
  await hydrated(page);
  const tamper = watchTamperWarnings(page);
  await page.getByRole('checkbox', { name: /I allow Agent/ }).check();
  await page.getByRole('button', { name: 'Approve access' }).dblclick();

  await expect(page.getByRole('status').filter({ hasText: 'You approved this request' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  // The new step enters the log and the page checks it without a reload.
  const steps = page.getByRole('region', { name: 'What happened, step by step' }).getByRole('listitem');
  await expect(steps).toHaveCount(2);
  await expect(steps.nth(1)).toContainText(/Approved by you · in the log at index \d+/, { timeout: 15_000 });
  await expect(steps.filter({ hasText: '✓ verified in your browser' })).toHaveCount(2, { timeout: 15_000 });
  await expect(page.locator('[data-log-check="verified"]')).toBeVisible();
  expect(await tamper()).toBe(0);
  await expectAccessible(page);
  expect(errors).toEqual([]);
});

test('a double-click on "Deny" shows the owner their own denial, once', async ({ page }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  await signInAs(page, 'Alice Martin');
  const id = await newRequest(page, `E2E double deny ${Date.now()}`);
  await page.goto(`/me/requests/${id}`);
  await hydrated(page);
  const tamper = watchTamperWarnings(page);
  await page.getByRole('button', { name: 'Deny' }).dblclick();

  await expect(page.getByRole('status').filter({ hasText: 'You denied this request' })).toBeVisible();
  await expect(page.getByText(/already denied/)).toHaveCount(0);
  await expect(page.getByRole('alert')).toHaveCount(0);
  const steps = page.getByRole('region', { name: 'What happened, step by step' }).getByRole('listitem');
  await expect(steps).toHaveCount(2);
  await expect(steps.filter({ hasText: '✓ verified in your browser' })).toHaveCount(2, { timeout: 15_000 });
  expect(await tamper()).toBe(0);
});

test('a double-click on "Send request" sends one request', async ({ page }) => {
  const reason = `E2E double send ${Date.now()}`;
  await signInAs(page, 'Sam Rivera');
  await hydrated(page);
  await page.getByRole('textbox', { name: 'Mailbox' }).fill('alice@example.org');
  await page.getByRole('checkbox', { name: /Metadata/ }).check();
  await page.getByLabel('Why', { exact: true }).selectOption('service_maintenance');
  await page.getByLabel(/Explain, in words/).fill(reason);
  await page.getByRole('button', { name: 'Send request' }).dblclick();
  await expect(page.getByRole('status').filter({ hasText: 'Request sent to the owner of alice@example.org' })).toBeVisible();
  // Wait for the live list to refresh past both answers, then count.
  await page.waitForTimeout(1_500);
  await page.reload();
  await expect(page.locator('article.request-card', { hasText: reason })).toHaveCount(1);
  await expectAccessible(page);
});
