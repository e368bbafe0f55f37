import { expect, test } from '@playwright/test';
import { signInAs } from './helpers';

// With JavaScript off every decision still works, says what happened, and leaves a clean
// address; the log's check says it needs JavaScript and how to check by hand instead.
const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
const token = process.env.GLASSBOX_TOKEN ?? '';

test.use({ javaScriptEnabled: false });

async function newRequest(request: import('@playwright/test').APIRequestContext, text: string): Promise<string> {
  const res = await request.post(`${base}/api/v1/access-requests`, {
    headers: { authorization: `Bearer ${token}` },
    data: { mailbox: 'alice@example.org', agent: 'sam.rivera', scopes: ['metadata'], justification: { code: 'service_maintenance', text } },
  });
  expect(res.status()).toBe(201);
  return (await res.json()).id;
}

test('without JavaScript, approving and denying show their confirmation at a clean address', async ({ page }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  await signInAs(page, 'Alice Martin');

  const approveId = await newRequest(page.request, `E2E no-JS approve ${Date.now()}`);
  await page.goto(`/me/requests/${approveId}`);
  // Nothing will check the log in this browser: the page says so and how to check by hand.
  const banner = page.locator('[data-log-check="needs-javascript"]');
  await expect(banner).toContainText('with JavaScript, which is off');
  await expect(banner.locator('code')).toContainText('glassbox verify inclusion --url http');
  await expect(page.getByText('Your browser is checking')).toHaveCount(0);
  await page.getByRole('checkbox', { name: /I allow Agent/ }).check();
  await page.getByRole('button', { name: 'Approve access' }).click();
  await expect(page).toHaveURL(new RegExp(`/me/requests/${approveId}\\?done=approved$`));
  await expect(page.getByRole('status')).toContainText('You approved this request');
  await expect(page.getByRole('heading', { name: 'Access is allowed right now' })).toBeVisible();
  // (axe-core needs scripts in the page; the JavaScript-on specs check these pages.)

  const denyId = await newRequest(page.request, `E2E no-JS deny ${Date.now()}`);
  await page.goto(`/me/requests/${denyId}`);
  await page.getByRole('button', { name: 'Deny' }).click();
  await expect(page).toHaveURL(new RegExp(`/me/requests/${denyId}\\?done=denied$`));
  await expect(page.getByRole('status')).toContainText('You denied this request');
  // Back returns to the page as it was; no form is sent again, nothing breaks.
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`/me/requests/${denyId}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Access request');
});

test('without JavaScript, a refused request form comes back with the message beside its field', async ({ page }) => {
  await signInAs(page, 'Sam Rivera');
  await page.goto('/staff');
  // (An address the browser accepts; the server knows no such mailbox.)
  await page.getByRole('textbox', { name: 'Mailbox' }).fill('nobody@example.org');
  await page.getByRole('checkbox', { name: /Metadata/ }).check();
  await page.getByLabel('Why', { exact: true }).selectOption('service_maintenance');
  await page.getByLabel(/Explain, in words/).fill('E2E no-JS refused form');
  await page.getByRole('button', { name: 'Send request' }).click();
  // The console again (never the error's raw JSON), the field marked and described.
  await expect(page).toHaveURL(/\/staff\?/);
  const mailbox = page.getByRole('textbox', { name: 'Mailbox' });
  await expect(mailbox).toHaveAttribute('aria-invalid', 'true');
  await expect(mailbox).toHaveAccessibleDescription(/No mailbox at this provider has that address/);
  await expect(page.getByText('{"InvalidField"')).toHaveCount(0);
});
