import { expect, test } from '@playwright/test';
import { byName, confirmWithPasskey, expectAccessible, hydrated, signInAs, watchErrors } from './helpers';

// A legal hold: an emergency access for a legal request whose order forbids telling the
// owner yet. Two admins open and approve it; the owner's notice is sealed (its commitment
// in the log), the owner sees nothing of it; a release date moves later only with a second
// admin; anyone sees how many notices are held back, never whose.
const maildev = process.env.MAILDEV_API ?? 'http://127.0.0.1:1080';

/** `days` from today, UTC, as a date input wants it. */
function daysFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

test('a legal hold seals the owner notice, hides the access, and is extended only by a second admin', async ({ browser, page, request }) => {
  const reference = `ORDER-${Date.now()}`;
  const release = daysFromToday(30);
  const later = daysFromToday(60);

  // Inês opens it for Priya on Dana's mailbox, holding the notice back for 30 days.
  const inesContext = await browser.newContext();
  const ines = await inesContext.newPage();
  const errors = watchErrors(ines);
  await signInAs(ines, 'Inês Duarte');
  await ines.goto('/admin/emergency');
  await hydrated(ines);
  await expect(ines.getByText(/Legal hold: only for a legal request/)).toBeVisible();
  const form = ines.getByRole('region', { name: 'Open an emergency access' });
  await form.getByLabel('Mailbox', { exact: true }).fill('dana@example.org');
  await form.getByLabel('Who will use it').selectOption({ label: 'Priya Nair <priya.nair@staff.example.org>' });
  await form.getByRole('checkbox', { name: /^Message text/ }).check();
  await form.getByLabel('Why it cannot wait for the owner').selectOption('legal_request');
  await form.getByLabel(/Explain, in words the owner will read/).fill('A court order to read the messages of one week, with a gag order');
  await form.getByLabel(/Reference/).fill(reference);
  await form.getByLabel('For how long (minutes)').fill('30');
  await form.getByLabel(/hold the owner's notice back until/).fill(release);
  await form.getByRole('checkbox', { name: /This cannot wait for the owner's consent/ }).check();
  await form.getByRole('button', { name: 'Open emergency access' }).click();
  await expect(ines.getByRole('status').filter({ hasText: 'Opened.' })).toBeVisible();
  const mine = ines.locator('article.emergency', { hasText: reference });
  await expect(mine).toContainText(`To be held back until ${release}`);
  expect(errors).toEqual([]);

  // Morgan approves it (with his passkey, just confirmed): the notice is sealed, its commitment shown.
  const morganContext = await browser.newContext({ baseURL: byName });
  const morgan = await morganContext.newPage();
  await signInAs(morgan, 'Morgan Lee');
  await confirmWithPasskey(morgan, 'Morgan Lee', '/admin/emergency');
  await hydrated(morgan);
  const theirs = morgan.locator('article.emergency', { hasText: reference });
  await theirs.getByRole('checkbox', { name: /I checked the reason and the reference myself/ }).check();
  await theirs.getByRole('button', { name: 'Approve emergency access' }).click();
  await expect(theirs).toContainText(`Sealed: held back until ${release}`);
  await expect(theirs.locator('code.hash')).toHaveText(/^[0-9a-f]{64}$/);

  // Morgan asks for a later date; he cannot approve his own extension.
  await theirs.getByLabel(/Hold the notice back until \(a later date/).fill(later);
  await theirs.getByLabel(/Why: the order's reference/).fill('The court extended the order by 30 days');
  await theirs.getByRole('button', { name: 'Ask for an extension' }).click();
  await expect(theirs).toContainText(`asked to hold the notice back until ${later}`);
  await expect(theirs).toContainText('A second security admin, not the one who asked');
  await expect(theirs.getByRole('button', { name: 'Approve the extension' })).toHaveCount(0);
  await expectAccessible(morgan);
  await morganContext.close();

  // Inês approves it: the new date holds.
  await ines.reload();
  await hydrated(ines);
  const extended = ines.locator('article.emergency', { hasText: reference });
  await extended.getByRole('button', { name: 'Approve the extension' }).click();
  await expect(extended).toContainText(`Sealed: held back until ${later}`);
  await inesContext.close();

  // Dana sees nothing of it, and was not emailed; she sees that notices are held back.
  const danaContext = await browser.newContext();
  const dana = await danaContext.newPage();
  await signInAs(dana, 'Dana Kowalski');
  await dana.goto('/me');
  await hydrated(dana);
  await expect(dana.getByRole('article', { name: /Emergency access for/ })).toHaveCount(0);
  const held = dana.getByRole('region', { name: 'Notices held back under legal orders' });
  await expect(held).toContainText(/notices? (is|are) held back today/);
  await dana.goto('/me/history');
  await hydrated(dana);
  await expect(dana.getByText('Emergency access — you were not asked')).toHaveCount(0);
  await dana.goto('/me/notices');
  await hydrated(dana);
  await expect(dana.getByText('No notice about your mailbox has been held back and released.')).toBeVisible();
  await expectAccessible(dana);
  await danaContext.close();
  const all = await (await request.get(`${maildev}/api/email`)).json();
  expect(all.filter((m: any) => m.to.some((t: any) => t.address === 'dana@example.org') && (m.text ?? '').includes(reference))).toEqual([]);

  // Anyone sees the count on the public page, never whose.
  await page.goto('/transparency');
  await hydrated(page);
  const table = page.getByRole('table', { name: /Owners' notices deferred under legal holds/ });
  await expect(table).toBeVisible();
  await expect(table).toContainText('A legal request');
  await expect(page.getByText('dana@example.org')).toHaveCount(0);
  await expect(page.getByText(reference)).toHaveCount(0);
  await expectAccessible(page);
});

test('an owner reads a notice released after a legal hold, and her browser checks it against the log', async ({ page }) => {
  // The demo's hold on Alice's mailbox was sealed seven weeks ago and released since.
  await signInAs(page, 'Alice Martin');
  await page.goto('/me/notices');
  await hydrated(page);
  const notice = page.getByRole('article', { name: /^Emergency access to your mailbox alice@example\.org/ });
  await expect(notice).toContainText('ORDER-2026-0913');
  await expect(notice.getByRole('status')).toContainText('Checked in your browser: this notice, word for word, gives the commitment of every step below');
  await expect(page.locator('[data-log-check="verified"]')).toContainText('Verified in your browser: every step of these notices is in the tamper-evident log.');
  await expect(notice.locator('.log-verified')).toHaveCount(2);
  await expectAccessible(page);
});
