import { expect, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs, watchErrors } from './helpers';

// Proofs that travel: an owner's exported history is checked in any browser, with no account
// and no network request, by the same code as `glassbox verify export`.

const baseURL = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';

type Export = { events: { log_index: number | null; decision: string; proof: { status: string } }[] };

test('anyone checks a downloaded export in their own browser, and a changed one is caught at its index', async ({ page, browser }) => {
  // The owner downloads their export, once every event is in a signed checkpoint.
  await signInAs(page, 'Bilal Haddad');
  await page.goto('/me/history');
  await hydrated(page);
  let file: Export = { events: [] };
  for (let i = 0; i < 50; i++) {
    file = await (await page.request.get('/me/history/export.json')).json();
    if (file.events.length > 0 && file.events.every((e) => e.proof.status === 'included')) break;
    await page.waitForTimeout(200);
  }
  const key = (await (await page.request.get('/log/key')).text()).split('\n')[0];
  await page.getByRole('link', { name: 'Check an exported file' }).click();
  await expect(page).toHaveURL(/\/verify\/export$/);

  // Someone else, with no account, on a phone and a desktop.
  const context = await browser.newContext({ baseURL });
  const visitor = await context.newPage();
  const errors = watchErrors(visitor);
  for (const size of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
    await visitor.setViewportSize(size);
    await visitor.goto('/verify/export');
    await hydrated(visitor);
    await expect(visitor.getByRole('heading', { level: 1 })).toHaveText('Check an exported access history');
    await expectAccessible(visitor);
  }

  // From here on the check makes no request at all.
  const requests: string[] = [];
  visitor.on('request', (r) => requests.push(r.url()));
  const choose = (name: string, body: unknown) =>
    visitor.getByLabel('Export file (.json)').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(body)) });
  await visitor.getByLabel("The log's verifier key (optional)").fill(key);
  await choose('glassbox-access-history.json', file);
  const result = visitor.getByRole('status');
  await expect(result.locator('[data-verdict]')).toHaveAttribute('data-verdict', 'verified');
  await expect(result).toContainText(`Verified: all ${file.events.length} logged events`);
  await expect(result).toContainText('Checked against the log key you gave.');
  const rows = visitor.getByRole('table', { name: 'Each event of the file, as checked' }).locator('tbody tr');
  await expect(rows).toHaveCount(file.events.length);
  await expect(rows.first()).toContainText('verified');
  await expectAccessible(visitor);

  // One decision changed: tampering, at that event's index.
  const changed = structuredClone(file);
  changed.events[0].decision = changed.events[0].decision === 'allowed' ? 'denied' : 'allowed';
  await choose('changed.json', changed);
  await expect(result.locator('[data-verdict]')).toHaveAttribute('data-verdict', 'failed');
  await expect(result).toContainText('Tampering detected');
  await expect(visitor.locator('tr[data-check="failed"]')).toHaveCount(1);
  await expect(visitor.locator('tr[data-check="failed"]')).toContainText(`index ${file.events[0].log_index}`);
  await expectAccessible(visitor);

  // An event removed: the file's signed list of events names it.
  const removed = structuredClone(file);
  removed.events.splice(1, 1);
  await choose('removed.json', removed);
  await expect(result.locator('[data-verdict]')).toHaveAttribute('data-verdict', 'failed');
  await expect(result).toContainText(`index ${file.events[1].log_index}`);

  // Not an export at all.
  await choose('other.json', [1, 2, 3]);
  await expect(result.locator('[data-verdict]')).toHaveAttribute('data-verdict', 'unreadable');

  expect(requests).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
});
