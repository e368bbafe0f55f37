import { expect, Page } from '@playwright/test';

/** Collects uncaught page errors and console errors, so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  const ours = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Only Glassbox's own pages count (the test provider's pages are not ours).
    if (m.type() === 'error' && m.location().url.startsWith(ours)) errors.push(`console: ${m.text()} at ${m.location().url}`);
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
