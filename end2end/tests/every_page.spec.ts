import { expect, Page, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs, watchErrors } from './helpers';

// axe-core on every page each person meets, on a desktop and a phone screen: 0 violations.
// Each test visits up to 18 pages and runs axe on each: more than the default 30 s on a
// loaded 2-core machine, so each gets 2 minutes.
test.describe.configure({ timeout: 120_000 });

const phone = { width: 390, height: 844 };
const desktop = { width: 1280, height: 900 };

async function checkEverySize(page: Page, path: string) {
  for (const size of [desktop, phone]) {
    await page.setViewportSize(size);
    await page.goto(path);
    await hydrated(page);
    await expect(page.locator('h1')).toHaveCount(1);
    await test.step(`${path} at ${size.width} px`, async () => expectAccessible(page));
  }
}

/** The first link on `path` whose address matches `pattern`. */
async function firstLink(page: Page, path: string, pattern: RegExp): Promise<string> {
  await page.goto(path);
  await hydrated(page);
  const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
  const href = hrefs.find((h) => pattern.test(h));
  expect(href, `a link like ${pattern} on ${path}`).toBeTruthy();
  return href!;
}

test('every page a visitor meets passes axe-core', async ({ page }) => {
  const errors = watchErrors(page);
  for (const path of ['/', '/auth/demo', '/no/such/page', '/verify/export', '/transparency']) await checkEverySize(page, path);
  expect(errors.filter((e) => !e.includes('404'))).toEqual([]);
});

test("every page an owner meets passes axe-core", async ({ page }) => {
  await signInAs(page, 'Alice Martin');
  const request = await firstLink(page, '/me/requests', /^\/me\/requests\/[0-9a-f-]{36}$/);
  const incident = await firstLink(page, '/me/incidents', /^\/me\/incidents\/[0-9a-f-]{36}$/);
  for (const path of ['/me', '/me/history', '/me/history?decision=denied', '/me/notifications', '/me/requests', request, '/me/incidents', incident, '/me/notices']) {
    await checkEverySize(page, path);
  }
});

test('every page a support agent meets passes axe-core', async ({ page }) => {
  await signInAs(page, 'Sam Rivera');
  const request = await firstLink(page, '/staff', /^\/staff\/requests\/[0-9a-f-]{36}$/);
  for (const path of ['/staff', request]) await checkEverySize(page, path);
});

test('every page a security admin meets passes axe-core', async ({ page }) => {
  await signInAs(page, 'Morgan Lee');
  const incident = await firstLink(page, '/admin/incidents', /^\/admin\/incidents\/[0-9a-f-]{36}$/);
  const member = await firstLink(page, '/admin/staff', /^\/admin\/staff\/[0-9a-f-]{36}$/);
  for (const path of ['/staff', '/admin/incidents', incident, '/admin/reports', '/admin/staff', member, `${member}/accesses`, '/admin/emergency']) await checkEverySize(page, path);
});
