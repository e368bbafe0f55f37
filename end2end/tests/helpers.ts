import { expect, Page } from '@playwright/test';

/** Collects uncaught page errors and console errors, so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Waits until the page has hydrated: clicks before that would be lost. */
export async function hydrated(page: Page) {
  await expect(page.locator('[data-hydrated="true"]')).toHaveCount(1);
}

/** Signs in through the demo sign-in page as the named person. */
export async function signInAs(page: Page, name: string) {
  await page.goto('/auth/demo');
  await page.getByRole('button', { name: new RegExp(`Sign in as ${name}`) }).click();
}
