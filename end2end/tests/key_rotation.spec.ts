import { expect, Page, test } from '@playwright/test';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hydrated } from './helpers';

// A key rotation, as an owner's browser lives through it: the browser pinned the log's key
// on a first visit; the operator stops Glassbox, runs `glassbox log rotate-key` and starts
// it again; on the next visit the history still verifies, and the page says openly that
// the key changed and that the key the browser trusted signed the change. Runs its own
// Glassbox (the binary the other tests use, GLASSBOX_BIN) on its own data, so the shared
// demo keeps its key.
const bin = process.env.GLASSBOX_BIN;

test.describe.configure({ timeout: 240_000 });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function start(env: NodeJS.ProcessEnv, url: string): Promise<ChildProcess> {
  const server = spawn(bin!, ['demo'], { env, stdio: 'ignore' });
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  server.kill('SIGKILL');
  throw new Error(`Glassbox did not start at ${url}`);
}

async function stop(server: ChildProcess) {
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
}

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
  const env = {
    ...process.env,
    GLASSBOX__HTTP__BIND: `127.0.0.1:${port}`,
    GLASSBOX__PUBLIC_URL: url,
    GLASSBOX__DATA_DIR: mkdtempSync(join(tmpdir(), 'glassbox-rotation-')),
  };
  const token = execFileSync(bin!, ['service-token', 'create', 'rotation'], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
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
