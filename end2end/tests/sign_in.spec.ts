import { expect, test } from '@playwright/test';
import { hydrated, totpCode, watchErrors } from './helpers';

test('an owner signs in through the provider\'s login form and lands on their mailbox', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await page.getByRole('link', { name: 'Sign in to your mailbox' }).click();
  // The provider's own page.
  await expect(page.getByRole('heading', { name: 'Test IdP sign-in' })).toBeVisible();
  await page.locator('#login').fill('alice');
  await page.locator('#password').fill('alice-pw');
  await page.locator('#submit').click();
  await expect(page).toHaveURL(/\/me$/);
  await expect(page.getByRole('heading', { name: 'Your mailbox' })).toBeVisible();
  await expect(page.getByText('Signed in as Alice Martin')).toBeVisible();
  await hydrated(page);
  expect(errors).toEqual([]);
});

// Sam: the shared demo's security admins add passkeys in other tests, and a staff member with a
// passkey is asked for it instead (passkeys.spec.ts covers that step).
test('a staff member signs in through the provider, enrols a second factor by QR code, and only then gets the console', async ({ page }) => {
  await page.goto('/staff/login');
  await page.locator('#login').fill('sam');
  await page.locator('#password').fill('sam-pw');
  await page.locator('#submit').click();
  await expect(page).toHaveURL(/\/staff\/totp$/);
  await expect(page.getByRole('img', { name: /QR code/ })).toBeVisible();
  await page.getByLabel(/Six-digit code/).fill('000000');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toContainText('That code is not right');
  // The right code from the enrolled key opens the console.
  const key = (await page.locator('figcaption code').textContent())!.trim();
  await page.getByLabel(/Six-digit code/).fill(await totpCode(key));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.getByRole('heading', { name: 'Your access requests' })).toBeVisible();
});
