import { expect, Page, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs } from './helpers';

// The security admins' lists: every access request a page at a time, narrowed by a form
// that works without JavaScript; a declared incident's draft corrected and discarded;
// closing asks first; the acknowledgements chart has axes, labels and its numbers.

const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
const token = process.env.GLASSBOX_TOKEN ?? '';

/** Adds 20 requests (cancelled at once, so no owner is asked): more than one page in all. */
async function moreThanAPage(request: import('@playwright/test').APIRequestContext) {
  for (let i = 0; i < 20; i++) {
    const res = await request.post(`${base}/api/v1/access-requests`, {
      headers: { authorization: `Bearer ${token}` },
      data: { mailbox: 'chen.wei@example.org', agent: 'sam.rivera', scopes: ['metadata'], justification: { code: 'service_maintenance', text: `E2E paging ${i}` } },
    });
    expect(res.status()).toBe(201);
    const id = (await res.json()).id;
    const cancel = await request.post(`${base}/api/v1/access-requests/${id}/cancel`, { headers: { authorization: `Bearer ${token}` } });
    expect(cancel.status()).toBe(200);
  }
}

const requests = (page: Page) => page.getByRole('region', { name: 'All access requests' });
const cards = (page: Page) => requests(page).getByRole('article');

test('a security admin pages through all access requests and back', async ({ page }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  await moreThanAPage(page.request);
  await signInAs(page, 'Morgan Lee');
  await page.goto('/staff');
  await hydrated(page);
  const position = requests(page).getByText(/^Showing \d/);
  await expect(position).toHaveText(/^Showing 1–50 of (\d+) requests, newest first\.$/);
  const total = Number((await position.textContent())!.match(/of (\d+)/)![1]);
  expect(total).toBeGreaterThan(50);
  await expect(cards(page)).toHaveCount(50);
  // The counts by status add up to the same total.
  const counts = await page.getByRole('list', { name: 'Requests by status' }).locator('strong').allTextContents();
  expect(counts.map(Number).reduce((a, b) => a + b, 0)).toBe(total);
  await expect(page.getByRole('link', { name: '← Newer requests' })).toHaveCount(0);
  await expectAccessible(page);

  await page.getByRole('link', { name: 'Older requests →' }).click();
  await expect(page).toHaveURL(/\/staff\?before=\d+\.[0-9a-f]{32}$/);
  const last = Math.min(total, 100);
  await expect(position).toHaveText(`Showing 51–${last} of ${total} requests, newest first.`);
  await expect(cards(page)).toHaveCount(last - 50);

  await page.getByRole('link', { name: '← Newer requests' }).click();
  await expect(position).toHaveText(`Showing 1–50 of ${total} requests, newest first.`);
  await expect(cards(page)).toHaveCount(50);
});

test('a security admin narrows the list by status and words, and a backwards range is explained beside the dates', async ({ page }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const words = `Unique E2E words ${Date.now()} 50%_off`;
  const res = await page.request.post(`${base}/api/v1/access-requests`, {
    headers: { authorization: `Bearer ${token}` },
    data: { mailbox: 'chen.wei@example.org', agent: 'priya.nair', scopes: ['metadata'], justification: { code: 'service_maintenance', text: words } },
  });
  expect(res.status()).toBe(201);
  // Cancelled at once: no owner is asked.
  const cancel = await page.request.post(`${base}/api/v1/access-requests/${(await res.json()).id}/cancel`, { headers: { authorization: `Bearer ${token}` } });
  expect(cancel.status()).toBe(200);

  await signInAs(page, 'Morgan Lee');
  await page.goto('/staff');
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Filter the requests' });
  await form.getByLabel('Search mailbox, ticket and reason').fill(words);
  await form.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/\/staff\?.*q=Unique/);
  const position = requests(page).getByText(/^Showing \d/);
  await expect(position).toHaveText('Showing 1–1 of 1 matching requests, newest first.');
  await expect(cards(page)).toHaveCount(1);
  await expect(cards(page).first()).toContainText(words);

  // Status and staff member: every card is one of them, and the counts are the filter's.
  await page.goto('/staff');
  await hydrated(page);
  await form.getByLabel('Status').selectOption('cancelled');
  await form.getByLabel('Staff member').selectOption({ label: 'Priya Nair <priya.nair@staff.example.org>' });
  await form.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/status=cancelled&agent=[0-9a-f-]{36}/);
  await expect(position).toHaveText(/matching requests/);
  const shown = await cards(page).count();
  expect(shown).toBeGreaterThan(0);
  await expect(cards(page).filter({ hasText: 'Priya Nair' })).toHaveCount(shown);
  const stats = page.getByRole('list', { name: 'Matching requests by status' });
  await expect(stats.getByRole('listitem')).toHaveCount(1);
  await expect(stats).toContainText('cancelled');
  await expectAccessible(page);

  // A range that ends before it starts: the message is beside the dates, the form stays.
  await page.goto('/staff?from=2026-11-10&to=2026-11-01&q=refund');
  await hydrated(page);
  const to = form.getByLabel('Made until (UTC)');
  await expect(to).toHaveAttribute('aria-invalid', 'true');
  await expect(to).toHaveAccessibleDescription(/The end date is before the start date/);
  await expect(form.getByLabel('Made from (UTC)')).toHaveValue('2026-11-10');
  await expect(form.getByLabel('Search mailbox, ticket and reason')).toHaveValue('refund');
  await expect(requests(page)).toContainText('No requests are shown until the filter is corrected');
  await expect(page.getByText('Something went wrong')).toHaveCount(0);
  await expectAccessible(page);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the filter form and the page links work', async ({ page }) => {
    test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
    await moreThanAPage(page.request);
    await signInAs(page, 'Morgan Lee');
    await page.goto('/staff');
    const form = page.getByRole('form', { name: 'Filter the requests' });
    await form.getByLabel('Status').selectOption('approved');
    await form.getByRole('button', { name: 'Show' }).click();
    await expect(page).toHaveURL(/\/staff\?status=approved&/);
    await expect(form.getByLabel('Status')).toHaveValue('approved');
    const position = requests(page).getByText(/^Showing \d/);
    await expect(position).toHaveText(/^Showing 1–\d+ of \d+ matching requests/);

    await page.goto('/staff');
    await page.getByRole('link', { name: 'Older requests →' }).click();
    await expect(page).toHaveURL(/\/staff\?before=/);
    await expect(position).toHaveText(/^Showing 51–/);
    await page.getByRole('link', { name: '← Newer requests' }).click();
    await expect(position).toHaveText(/^Showing 1–50 of/);
  });
});

/** Declares an incident with nothing in its window (2020), as Morgan; lands on its draft. */
async function declare(page: Page, title: string) {
  await signInAs(page, 'Morgan Lee');
  await page.goto('/admin/incidents');
  await hydrated(page);
  const minute = String(Math.floor(Math.random() * 60)).padStart(2, '0');
  const hour = String(Math.floor(Math.random() * 24)).padStart(2, '0');
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0');
  await page.getByLabel('Title (owners read it)').fill(title);
  await page.getByLabel('What happened, in plain words').fill('A test declaration from the browser suite.');
  await page.getByLabel('Cause').selectOption('other');
  await page.getByLabel('Window start (UTC)').fill(`2020-02-${day}T${hour}:${minute}`);
  await page.getByLabel('Window end (UTC)').fill(`2020-02-${day}T${hour}:${minute}`);
  await page.getByRole('button', { name: 'Declare and show the affected mailboxes' }).click();
  await expect(page).toHaveURL(/\/admin\/incidents\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
  await hydrated(page);
}

test('a declared incident opens as a draft that can be corrected, then discarded after confirming', async ({ page }) => {
  const title = `E2E draft ${Date.now()}`;
  await declare(page, title);
  const edit = page.getByRole('region', { name: 'Correct the draft' });
  await expect(edit.getByLabel('Title (owners read it)')).toHaveValue(title);
  await expectAccessible(page);

  await edit.getByLabel('Title (owners read it)').fill(`${title} (corrected)`);
  await edit.getByRole('button', { name: 'Save the corrections' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`${title} (corrected)`);
  await expect(page.getByText('Last corrected by')).toBeVisible();

  const discard = page.getByRole('region', { name: 'Discard the draft' });
  const button = discard.getByRole('button', { name: 'Discard the draft' });
  // Not without the tick: the browser asks for it and nothing is sent.
  await button.click();
  await expect(discard.getByRole('checkbox')).toHaveJSProperty('validity.valueMissing', true);
  await expect(page.getByText(/This draft was discarded/)).toHaveCount(0);
  await discard.getByRole('checkbox', { name: /I confirm: this draft is not an incident/ }).check();
  await button.click();
  await expect(page.getByText('This draft was discarded by Morgan Lee')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Correct the draft' })).toHaveCount(0);
  await expectAccessible(page);

  await page.goto('/admin/incidents');
  const row = page.getByRole('row').filter({ hasText: `${title} (corrected)` });
  await expect(row).toContainText('discarded');
});

test('closing an incident asks for confirmation first', async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  const title = `E2E to close ${Date.now()}`;
  await declare(admin, title);
  const url = admin.url();
  const second = await (await browser.newContext()).newPage();
  await signInAs(second, 'Inês Duarte');
  await second.goto(url);
  await hydrated(second);
  await second.getByRole('checkbox', { name: /I checked this incident/ }).check();
  await second.getByRole('button', { name: 'Confirm the incident' }).click();
  await expect(second.getByText('Confirmed. The measures are in place')).toBeVisible();

  const close = second.getByRole('button', { name: 'Close the incident' });
  await close.click();
  const tick = second.getByRole('checkbox', { name: /The incident is over/ });
  await expect(tick).toHaveJSProperty('validity.valueMissing', true);
  await second.reload();
  await expect(second.getByRole('term').filter({ hasText: 'Status' }).locator('xpath=following-sibling::dd[1]')).toHaveText('confirmed');
  await hydrated(second);
  await tick.check();
  await close.click();
  await expect(second.getByText('Closed.', { exact: true })).toBeVisible();
  await expect(second.getByText('This incident is closed.')).toBeVisible();
});

test('the acknowledgements chart has a scale, day labels, a caption and its numbers as a table', async ({ browser }) => {
  // Alice was touched by the demo's incident; she says she has read the notice.
  const owner = await (await browser.newContext()).newPage();
  await signInAs(owner, 'Alice Martin');
  await owner.goto('/me/incidents');
  await owner.getByRole('link', { name: "A support agent's sign-in was stolen" }).click();
  await expect(owner.getByRole('heading', { level: 1 })).toHaveText("A support agent's sign-in was stolen");
  await hydrated(owner);
  await expect(owner.getByRole('heading', { name: 'What happened to your mailbox' })).toBeVisible();
  const read = owner.getByRole('button', { name: 'I have read this' });
  if (await read.count()) {
    await read.click();
    await expect(owner.getByRole('status')).toContainText('You confirmed you read this');
  }

  const page = await (await browser.newContext()).newPage();
  await signInAs(page, 'Morgan Lee');
  await page.goto('/admin/incidents');
  await page.getByRole('link', { name: "A support agent's sign-in was stolen" }).click();
  await hydrated(page);
  const figure = page.getByRole('figure');
  await expect(figure.locator('figcaption')).toHaveText(/^Owners who acknowledged the notice, per day \(UTC\): (\d+) in all, at most (\d+) on one day\.$/);
  const max = (await figure.locator('figcaption').textContent())!.match(/at most (\d+)/)![1];
  const chart = figure.getByRole('img', { name: /Acknowledgements per day/ });
  await expect(chart).toBeVisible();
  // The y-axis says 0 and the highest day; the x-axis names the days.
  const labels = await chart.locator('text').allTextContents();
  expect(labels).toContain('0');
  expect(labels).toContain(max);
  const today = new Date().toISOString().slice(5, 10);
  expect(labels).toContain(today);
  const table = figure.getByRole('table', { name: 'Acknowledgements per day (UTC)' });
  await expect(table.getByRole('row').filter({ hasText: new Date().toISOString().slice(0, 10) })).toBeVisible();
  await expectAccessible(page);
});
