import { expect, test } from '@playwright/test';
import { hydrated, signInAs, watchErrors } from './helpers';

const logEntries = (page: import('@playwright/test').Page) =>
  page.getByRole('table', { name: /Accesses to your mailbox/ }).locator('td[data-label="Log entry"] .log-index');

const seq = (text: string) => Number(/index (\d+)/.exec(text)?.[1]);

test('a newcomer opens the demo, signs in as an owner and pages through their history without a reload', async ({ page }) => {
  const errors = watchErrors(page);

  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('See every time staff access your mailbox');
  await page.getByRole('link', { name: 'Try the demo' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to the demo' })).toBeVisible();
  await page.getByRole('button', { name: /Sign in as Alice Martin/ }).click();

  await expect(page).toHaveURL(/\/me$/);
  await expect(page.getByRole('heading', { name: 'Your mailbox' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Waiting for your decision' })).toBeVisible();
  await expect(page.getByText('Signed in as Alice Martin')).toBeVisible();

  await page.getByRole('link', { name: 'See your whole access history' }).click();
  await expect(page).toHaveURL(/\/me\/history$/);
  await hydrated(page);
  await expect(logEntries(page)).toHaveCount(25);
  const firstPage = (await logEntries(page).allTextContents()).map(seq);

  // Mark this document: a full page load would lose the mark.
  await page.evaluate(() => ((window as unknown as { glassboxMark: string }).glassboxMark = 'same document'));

  await page.getByRole('link', { name: 'Older accesses' }).click();
  await expect(page).toHaveURL(/\/me\/history\?before=\d+$/);
  await expect(logEntries(page).first()).not.toHaveText(`in the log at index ${firstPage[0]}`);
  const secondPage = (await logEntries(page).allTextContents()).map(seq);
  expect(secondPage.length).toBeGreaterThan(0);
  expect(Math.max(...secondPage)).toBeLessThan(Math.min(...firstPage));

  await page.getByRole('link', { name: 'Newer accesses' }).click();
  await expect(page).toHaveURL(/after=\d+/);
  await expect(logEntries(page).first()).toHaveText(`in the log at index ${firstPage[0]}`);

  expect(await page.evaluate(() => (window as unknown as { glassboxMark?: string }).glassboxMark)).toBe('same document');
  expect(errors).toEqual([]);
});

test('the browser verifies every access on the page against the signed log, and on the next visit that the log only grew', async ({ page }) => {
  const errors = watchErrors(page);
  await signInAs(page, 'Alice Martin');
  await page.goto('/me/history');
  await hydrated(page);
  const banner = page.locator('.log-banner');
  await expect(banner).toHaveAttribute('data-log-check', 'verified', { timeout: 15000 });
  await expect(banner).toContainText('every access on this page is in the tamper-evident log');
  const proofs = page.locator('td[data-label="Log entry"] .log-proof');
  await expect(proofs).toHaveCount(25);
  for (const text of await proofs.allTextContents()) expect(text).toContain('verified in your browser');
  expect(await page.evaluate(() => window.localStorage.getItem('glassbox.log.checkpoint'))).toContain('\u2014 ');

  await page.reload();
  await hydrated(page);
  await expect(banner).toHaveAttribute('data-log-check', 'verified', { timeout: 15000 });
  await expect(banner).toContainText('since your last visit the log only grew');
  expect(errors).toEqual([]);
});

test('the history reads well on a phone: no sideways scrolling, every row labelled', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signInAs(page, 'Alice Martin');
  await page.goto('/me/history');
  await hydrated(page);
  await expect(logEntries(page).first()).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await context.close();
});

test('the keyboard reaches the content first through the skip link', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
});

test('a support agent signs in and sees the consent status of their requests', async ({ page }) => {
  const errors = watchErrors(page);
  await signInAs(page, 'Sam Rivera');
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.getByRole('heading', { name: 'Staff console' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Your access requests' })).toBeVisible();
  await expect(page.getByText('Waiting for a decision').first()).toBeVisible();
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/staff');
  await expect(page.getByText('Please sign in to see this page.')).toBeVisible();
  expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
});
