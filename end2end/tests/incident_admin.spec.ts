import { expect, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs } from './helpers';

// A security admin declares an incident and lands on its draft; closing asks first.

test('declaring an incident opens its draft', async ({ page }) => {
  await signInAs(page, 'Morgan Lee');
  await page.goto('/admin/incidents');
  await hydrated(page);
  const title = `E2E incident ${Date.now()}`;
  await page.getByLabel('Title (owners read it)').fill(title);
  await page.getByLabel('What happened, in plain words').fill('A test declaration from the browser suite.');
  await page.getByLabel('Cause').selectOption('staff_credential');
  await page.getByLabel(/^Staff member/).fill('sam.rivera');
  await page.getByLabel('Window start (UTC)').fill('2026-11-01T00:00');
  await page.getByLabel('Window end (UTC)').fill('2026-11-02T00:00');
  await page.getByRole('button', { name: 'Declare and show the affected mailboxes' }).click();
  await expect(page).toHaveURL(/\/admin\/incidents\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(title);
  await expect(page.getByText(/Waiting for a second security admin to confirm/)).toBeVisible();
  await expectAccessible(page);
});
