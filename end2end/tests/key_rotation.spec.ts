import { expect, Page, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { hydrated } from './helpers';
import { bin, freePort, ownEnv, serviceToken, start, stop } from './own_glassbox';

// A key rotation, as an owner's browser lives through it: the browser pinned the log's key
// on a first visit; the operator stops Glassbox, runs `glassbox log rotate-key` and starts
// it again; on the next visit the history still verifies, and the page says openly that
// the key changed and that the key the browser trusted signed the change. Runs its own
// Glassbox (the binary the other tests use, GLASSBOX_BIN) on its own data, so the shared
// demo keeps its key.
test.describe.configure({ timeout: 240_000 });

async function historyBanner(page: Page, url: string) {
  await page.goto(`${url}/me/history`);
  await hydrated(page);
  const banner = page.locator('.log-banner');
  await expect(banner).toHaveAttribute('data-log-check', 'verified', { timeout: 20_000 });
  return banner;
}

test("after a key rotation the owner's history still verifies, and the page says the trusted key signed the change", async ({ page }) => {
  expect(bin, 'GLASSBOX_BIN names the glassbox binary (scripts/test.sh sets it)').toBeTruthy();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = ownEnv(port, '127.0.0.1', 'rotation');
  const token = serviceToken(env, 'rotation');
  let server = await start(env, url);
  try {
    // First visit: the browser checks the history and pins the log's key.
    await page.goto(`${url}/auth/demo`);
    await page.getByRole('button', { name: /Sign in as Alice Martin/ }).click();
    await historyBanner(page, url);
    const pinned = await page.evaluate(() => window.localStorage.getItem('glassbox.log.key'));
    expect(pinned).toBeTruthy();

    // The operator rotates the key, Glassbox restarts, and the log grows under the new key.
    await stop(server);
    execFileSync(bin!, ['log', 'rotate-key'], { env, stdio: 'ignore' });
    server = await start(env, url);
    const check = await fetch(`${url}/api/v1/access/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mailbox: 'alice@example.org', agent: 'sam.rivera', scope: 'content', action: 'read_message', resource: 'message:1' }),
    });
    expect(check.status).toBe(200);
    const keys = await (await fetch(`${url}/log/key`)).text();
    expect(keys.trim().split('\n')).toHaveLength(2);
    expect(keys.trim().split('\n')[1]).toBe(pinned!.trim());

    // Next visit: still verified, the change said openly, and the new key pinned.
    await expect
      .poll(async () => (await historyBanner(page, url)).locator('[data-log-key="changed"]').count(), { timeout: 30_000 })
      .toBe(1);
    const banner = page.locator('.log-banner');
    await expect(banner).toContainText('The key your browser trusted signed the change');
    await expect(banner).toContainText('since your last visit the log only grew');
    const now = await page.evaluate(() => window.localStorage.getItem('glassbox.log.key'));
    expect(now).not.toBe(pinned);
    expect(keys.trim().split('\n')[0]).toBe(now!.trim());
  } finally {
    await stop(server);
  }
});
