import { expect, test } from '@playwright/test';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { hydrated } from './helpers';
import { bin, freePort, ownEnv, start, stop } from './own_glassbox';

// An owner's history checked against a witnessed checkpoint: two real `glassbox witness`
// processes cosign the log's checkpoints; Alice's browser accepts the checkpoint only once
// both have, says who cosigned it, and pins the witnesses as it pins the log's key.
test.describe.configure({ timeout: 240_000 });

/** Starts `glassbox witness serve` for `logKey`; resolves with the process, URL and key. */
async function witness(name: string, logKey: string): Promise<{ proc: ChildProcess; url: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), `glassbox-witness-`));
  const keyFile = join(dir, 'witness.key');
  execFileSync(bin!, ['witness', 'keygen', '--name', name, '--out', keyFile], { stdio: 'ignore' });
  const proc = spawn(bin!, ['witness', 'serve', '--listen', '127.0.0.1:0', '--key', keyFile, '--state', join(dir, 'state'), '--log', logKey], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line: string = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once('line', resolve);
    proc.once('exit', () => reject(new Error('the witness exited')));
  });
  // "witness <key> listening on http://<addr>"
  const words = line.trim().split(/\s+/);
  return { proc, key: words[1], url: words[words.length - 1] };
}

test("the owner's history verifies against a checkpoint both witnesses cosigned, and says so", async ({ page }) => {
  expect(bin, 'GLASSBOX_BIN names the glassbox binary (scripts/test.sh sets it)').toBeTruthy();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const base = ownEnv(port, '127.0.0.1', 'witnessed');
  // The log's key first: the witnesses must know it before the log asks them.
  const made = execFileSync(bin!, ['log', 'keygen'], { env: base }).toString().trim().split('\n');
  const logKey = made[made.length - 1].trim();
  const w1 = await witness('w1.test/witness', logKey);
  const w2 = await witness('w2.test/witness', logKey);
  const env = {
    ...base,
    GLASSBOX__LOG__WITNESSES: `${w1.url} ${w1.key},${w2.url} ${w2.key}`,
    GLASSBOX__LOG__WITNESS_QUORUM: '2',
    GLASSBOX__LOG__WITNESS_INTERVAL_SECONDS: '1',
  };
  const server = await start(env, url);
  try {
    const policy = await (await fetch(`${url}/log/witnesses`)).json();
    expect(policy).toEqual({ quorum: 2, witnesses: [w1.key, w2.key] });
    await page.goto(`${url}/auth/demo`);
    await page.getByRole('button', { name: /Sign in as Alice Martin/ }).click();
    await page.goto(`${url}/me/history`);
    await hydrated(page);
    const banner = page.locator('.log-banner');
    await expect(banner).toHaveAttribute('data-log-check', 'verified', { timeout: 40_000 });
    await expect(banner.locator('[data-log-witnessed="2"]')).toContainText('cosigned by 2 of the 2 witnesses your browser trusts');
    await expect(banner).toContainText('w1.test/witness, w2.test/witness');
    const pinned = await page.evaluate(() => window.localStorage.getItem('glassbox.log.witnesses'));
    expect(pinned).toContain(w1.key);
    expect(pinned).toContain(w2.key);
    // The checkpoint served to everyone carries both cosignatures.
    const note = await (await fetch(`${url}/log/checkpoint/witnessed`)).text();
    expect(note).toContain('— w1.test/witness ');
    expect(note).toContain('— w2.test/witness ');
  } finally {
    await stop(server);
    w1.proc.kill('SIGTERM');
    w2.proc.kill('SIGTERM');
  }
});
