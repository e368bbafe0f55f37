import { expect, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs } from './helpers';

// Every page, and the exports, show an access at its real index in the verifiable log.
test('the overview, the history, the incident page and the exports show the same log index', async ({ page }) => {
  await signInAs(page, 'Bilal Haddad');
  await expect(page).toHaveURL(/\/me$/);
  await hydrated(page);
  const latest = page.getByRole('table', { name: 'The latest accesses to your mailbox' }).locator('tbody tr');
  await expect(latest.first()).toContainText(/in the log at index \d+/);
  await expect(latest.filter({ hasText: 'Not yet in the log' })).toHaveCount(0);
  const index = (await latest.first().textContent())!.match(/in the log at index (\d+)/)![1];
  await expect(page.locator('[data-log-check="verified"]')).toBeVisible();
  await expectAccessible(page);

  await page.goto('/me/history');
  const history = page.getByRole('table', { name: /Accesses to your mailbox/ }).locator('tbody tr');
  await expect(history.first()).toContainText(`in the log at index ${index}`);

  const csv = await (await page.request.get('/me/history/export.csv')).text();
  const [header, first] = csv.split('\r\n');
  expect(header.split(',')[0]).toBe('log_index');
  expect(first.split(',')[0]).toBe(index);
  const json = await (await page.request.get('/me/history/export.json')).json();
  expect(json.format).toBe('glassbox-export/v1');
  expect(json.events[0].log_index).toBe(Number(index));

  await page.goto('/me/incidents');
  await expectAccessible(page);
  await page.getByRole('link', { name: "A support agent's sign-in was stolen" }).click();
  await hydrated(page);
  const involved = page.getByRole('table', { name: /part of this incident/ }).locator('tbody tr');
  await expect(involved.first()).toContainText(/in the log at index \d+/);
  await expect(involved.filter({ hasText: 'Not yet in the log' })).toHaveCount(0);
  await expect(page.locator('[data-log-check="verified"]')).toBeVisible();
  await expectAccessible(page);
});
