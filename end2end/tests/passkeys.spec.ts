import { Browser, expect, Page, test } from '@playwright/test';
import { ChildProcess } from 'node:child_process';
import { expectAccessible, hydrated, watchErrors } from './helpers';
import { bin, freePort, ownEnv, serviceToken, start, stop } from './own_glassbox';

// Passkeys in a real browser, with Chromium's virtual authenticator (CDP's WebAuthn
// domain): a staff member adds one at their first sign-in through the provider and signs in
// with it on another browser; a copy of the key whose signature counter went back is
// refused; an owner adds one and then approves with it. Passkeys are bound to a host name,
// so these run on a Glassbox of their own at http://localhost (staff passkeys required), and
// the shared demo's people keep no key.
test.describe.configure({ mode: 'serial', timeout: 180_000 });

let server: ChildProcess;
let url = '';
let token = '';

test.beforeAll(async () => {
  expect(bin, 'GLASSBOX_BIN names the glassbox binary (scripts/test.sh sets it)').toBeTruthy();
  const port = await freePort();
  url = `http://localhost:${port}`;
  const env = ownEnv(port, 'localhost', 'passkeys', { GLASSBOX__STAFF__REQUIRE_PASSKEY: 'true' });
  token = serviceToken(env, 'passkeys');
  server = await start(env, url);
});

test.afterAll(async () => {
  if (server) await stop(server);
});

type Credential = { credentialId: string; isResidentCredential: boolean; privateKey: string; signCount: number; rpId?: string; userHandle?: string };

/** A page in a new browser with a virtual authenticator (user verification on), holding `credential` if given. */
async function browserWithKey(browser: Browser, credential?: Credential) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  if (credential) await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
  const credentials = async () => ((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials as Credential[]);
  return { context, page, credentials };
}

async function staffSignInAtTheProvider(page: Page) {
  await page.goto(`${url}/staff/login`);
  await page.locator('#login').fill('morgan');
  await page.locator('#password').fill('morgan-pw');
  await page.locator('#submit').click();
  await expect(page).toHaveURL(/\/staff\/totp$/);
}

test('a staff member adds a passkey at first sign-in, signs in with it elsewhere, and a copied key is refused', async ({ browser }) => {
  // First sign-in: passkeys are required and Morgan has none, so she adds one, which signs her in.
  const first = await browserWithKey(browser);
  const errors = watchErrors(first.page);
  await staffSignInAtTheProvider(first.page);
  await expect(first.page.getByLabel('Six-digit code from your authenticator app')).toHaveCount(0);
  await expectAccessible(first.page);
  await first.page.getByLabel('A name for this key').fill('Security key on my keyring');
  await first.page.getByRole('button', { name: 'Add a passkey and sign in' }).click();
  await expect(first.page).toHaveURL(/\/staff$/);
  await first.page.goto(`${url}/staff/keys`);
  await expect(first.page.getByText('Security key on my keyring')).toBeVisible();
  await expectAccessible(first.page);
  const [enrolled] = await first.credentials();
  expect(errors).toEqual([]);
  await first.context.close();

  // Another browser holding the same key (as a security key moves between computers): the passkey signs her in.
  const second = await browserWithKey(browser, enrolled);
  await staffSignInAtTheProvider(second.page);
  await second.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(second.page).toHaveURL(/\/staff$/);
  await expect(second.page.getByRole('heading', { name: 'All access requests' })).toBeVisible();
  const [used] = await second.credentials();
  expect(used.signCount).toBeGreaterThan(enrolled.signCount);
  await second.context.close();

  // A copy of the key taken before that use: its counter went back, so it is refused.
  const copy = await browserWithKey(browser, enrolled);
  await staffSignInAtTheProvider(copy.page);
  await copy.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(copy.page.getByRole('alert')).toContainText('its signature counter went backwards');
  await expect(copy.page).toHaveURL(/\/staff\/totp$/);
  await copy.context.close();
});

test('an owner adds a passkey and then approves access only with it', async ({ browser }) => {
  const { context, page } = await browserWithKey(browser);
  const errors = watchErrors(page);
  await page.goto(`${url}/auth/demo`);
  await page.getByRole('button', { name: /Sign in as Alice Martin/ }).click();
  await page.goto(`${url}/me/keys`);
  await expect(page.getByText('You have no passkey yet.')).toBeVisible();
  await page.getByLabel('A name for this key').fill('My laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByRole('status')).toContainText('Your passkey is added.');
  await expect(page.getByText('My laptop')).toBeVisible();
  await expectAccessible(page);

  const res = await page.request.post(`${url}/api/v1/access-requests`, {
    headers: { authorization: `Bearer ${token}` },
    data: {
      mailbox: 'alice@example.org', agent: 'sam.rivera', scopes: ['metadata'], duration_minutes: 30,
      justification: { code: 'customer_initiated_support', text: 'E2E passkey approval', ticket: 'T-616' },
    },
  });
  expect(res.status()).toBe(201);
  const id = (await res.json()).id;

  // Approving asks for the passkey first, and says so.
  await page.goto(`${url}/me/requests/${id}`);
  await hydrated(page);
  await page.getByRole('checkbox', { name: /I allow Agent/ }).check();
  await page.getByRole('button', { name: 'Approve access' }).click();
  await expect(page.getByRole('alert')).toContainText('This needs your security key');
  await page.getByRole('link', { name: 'Confirm with your security key' }).click();
  await expect(page).toHaveURL(/\/me\/confirm\?return_to=/);
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Confirm with my passkey' }).click();
  await expect(page).toHaveURL(new RegExp(`/me/requests/${id}$`));

  // Confirmed just now: the approval goes through.
  await hydrated(page);
  await page.getByRole('checkbox', { name: /I allow Agent/ }).check();
  await page.getByRole('button', { name: 'Approve access' }).click();
  await expect(page.getByRole('status')).toContainText('approved', { ignoreCase: true });
  expect(errors).toEqual([]);
  await context.close();
});
