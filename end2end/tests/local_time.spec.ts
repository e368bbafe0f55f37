import { Browser, expect, Locator, Page, test } from '@playwright/test';
import { hydrated, signInAs, watchErrors } from './helpers';

// Times read in the reader's own zone (the browser's), with how long ago they were; UTC
// stays on hover and in the machine-readable datetime. Without JavaScript they stay UTC.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "30 Nov 2026, 10:05": the moment `iso` on the clock of `zone`. */
function clockText(iso: string, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, day: 'numeric', month: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${Number(part('day'))} ${MONTHS[Number(part('month')) - 1]} ${part('year')}, ${part('hour')}:${part('minute')}`;
}

const relative = String.raw`\((just now|yesterday|tomorrow|\d+ (minute|hour|day|month|year)s? ago|in \d+ (minute|hour|day|month|year)s?)\)`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Expects each of the first `max` times to read in `zone` with a relative phrase, and UTC on hover. */
async function expectLocal(times: Locator, zone: string, max = 5) {
  const count = Math.min(await times.count(), max);
  expect(count, 'times on the page').toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    const time = times.nth(i);
    const iso = (await time.getAttribute('datetime')) ?? '';
    expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    await expect(time).toHaveText(new RegExp(`^${escape(clockText(iso, zone))} ${relative}$`));
    await expect(time).toHaveAttribute('title', `${clockText(iso, 'UTC')} UTC`);
  }
}

/** Expects each of the first `max` times to read in UTC, named as UTC. */
async function expectUtc(times: Locator, max = 5) {
  const count = Math.min(await times.count(), max);
  expect(count, 'times on the page').toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    const time = times.nth(i);
    const utc = `${clockText((await time.getAttribute('datetime')) ?? '', 'UTC')} UTC`;
    await expect(time).toHaveText(utc);
    await expect(time).toHaveAttribute('title', utc);
  }
}

async function ownerIn(browser: Browser, zone: string, javaScriptEnabled = true): Promise<Page> {
  const context = await browser.newContext({ timezoneId: zone, javaScriptEnabled });
  const page = await context.newPage();
  await signInAs(page, 'Alice Martin');
  await expect(page).toHaveURL(/\/me$/);
  return page;
}

const historyTimes = (page: Page) =>
  page.getByRole('table', { name: /Accesses to your mailbox/ }).locator('td[data-label="When"] time');

/** Opens one of the owner's requests from their list. */
async function openARequest(page: Page) {
  await page.goto('/me/requests');
  await page.getByRole('link', { name: 'Review and decide' }).first().click();
  await expect(page).toHaveURL(/\/me\/requests\/[^/?]+$/);
}

for (const zone of ['Pacific/Auckland', 'America/New_York']) {
  test(`an owner in ${zone} reads their history and a request on their own clock, with UTC on hover`, async ({ browser }) => {
    const page = await ownerIn(browser, zone);
    const errors = watchErrors(page);

    await page.goto('/me/history');
    await hydrated(page);
    await expectLocal(historyTimes(page), zone);

    await openARequest(page);
    await hydrated(page);
    await expectLocal(page.locator('main time'), zone, 10);
    // The reader's clock says how long is left; the server's count goes with its UTC text.
    const decideBy = page.locator('.request-card dd', { has: page.locator('time') }).first();
    await expect(decideBy).not.toContainText('left)');

    expect(errors).toEqual([]);
    await page.context().close();
  });
}

test('the relative phrases stay true while the page is open, and stop with it', async ({ browser }) => {
  const context = await browser.newContext({ timezoneId: 'Pacific/Auckland' });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.clock.install();
  await signInAs(page, 'Alice Martin');
  await page.goto('/me/history');
  await hydrated(page);
  const first = historyTimes(page).first();
  await expect(first).toHaveText(new RegExp(relative));
  await expect(first).not.toHaveText(/years ago/);
  const iso = (await first.getAttribute('datetime')) ?? '';

  // Two years later the same moment reads "2 years ago", on the same clock.
  await page.clock.fastForward(2 * 366 * 24 * 3600 * 1000);
  await expect(first).toHaveText(new RegExp(`^${escape(clockText(iso, 'Pacific/Auckland'))} \\(2 years ago\\)$`));

  // After leaving the page (no reload), the clock ticks on without touching its times.
  await page.getByRole('link', { name: 'Overview' }).click();
  await expect(page).toHaveURL(/\/me$/);
  await page.clock.fastForward(60_000);
  await page.clock.fastForward(60_000);
  await expect(page.getByRole('heading', { name: 'Your mailbox' })).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});

test('without JavaScript the times stay in UTC, named as UTC', async ({ browser }) => {
  const page = await ownerIn(browser, 'Pacific/Auckland', false);
  await page.goto('/me/history');
  await expectUtc(historyTimes(page));
  await openARequest(page);
  await expectUtc(page.locator('main time'), 10);
  await page.context().close();
});
