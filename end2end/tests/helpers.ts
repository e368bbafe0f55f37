import { expect, Page } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Collects uncaught page errors and console errors, so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  const ours = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Only Glassbox's own pages count (the test provider's pages are not ours).
    if (m.type() === 'error' && (m.location().url.startsWith(ours) || m.location().url.startsWith(byName))) errors.push(`console: ${m.text()} at ${m.location().url}`);
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

/** The current RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 key, as an authenticator app computes it. */
export async function totpCode(base32: string, at: number = Date.now()): Promise<string> {
  const { createHmac } = await import('node:crypto');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

/** Runs axe-core (WCAG 2.x A and AA rules) on the page as it is now and expects no violation. */
export async function expectAccessible(page: Page) {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const found = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(found, 'axe-core violations').toEqual([]);
}

/**
 * The shared Glassbox by name (`localhost`): passkeys are bound to a host name, and browsers
 * refuse them at `127.0.0.1`. A context opened with this as its `baseURL` can use them.
 */
export const byName = (process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000').replace('://127.0.0.1', '://localhost');

type StoredKey = { credentialId: string; isResidentCredential: boolean; privateKey: string; signCount: number; rpId?: string; userHandle?: string };

/** Where the passkeys the shared demo's people added in this run are kept between test files. */
function keyFile(): string {
  // Beside the shared demo's data (scripts/test.sh makes it fresh for each run).
  const dir = process.env.GLASSBOX__DATA_DIR ?? tmpdir();
  return join(dir, `e2e-passkeys-${new URL(byName).port || '80'}.json`);
}

function storedKeys(): Record<string, StoredKey> {
  try {
    return JSON.parse(readFileSync(keyFile(), 'utf8'));
  } catch {
    return {};
  }
}

/**
 * The signed-in staff member `name` confirms with their passkey, as approving an emergency
 * access or disabling staff needs, and comes back to `returnTo`. The page's browser gets
 * Chromium's virtual authenticator, holding the key `name` added earlier in this run (or a
 * new one, added first). The page must be on `byName`.
 */
export async function confirmWithPasskey(page: Page, name: string, returnTo: string) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  const known = storedKeys()[name];
  if (known) {
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: known });
  } else {
    await page.goto('/staff/keys');
    await page.getByLabel('A name for this key').fill(`${name}'s test key`);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(page.getByRole('status')).toContainText('Your passkey is added.');
  }
  await page.goto(`/staff/confirm?return_to=${encodeURIComponent(returnTo)}`);
  await page.getByRole('button', { name: 'Confirm with my passkey' }).click();
  await page.waitForURL((u) => u.pathname === returnTo);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  writeFileSync(keyFile(), JSON.stringify({ ...storedKeys(), [name]: credentials[0] }));
}
