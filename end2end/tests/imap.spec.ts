import { APIRequestContext, Browser, expect, test } from '@playwright/test';
import { signInAs } from './helpers';

// Consent enforced where mail is read (integrations/dovecot/): the agent's IMAP credential and
// what the owner is shown of an IMAP session. Both pages are server-rendered, so these run
// with JavaScript off, as some agents and owners browse.
const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
const token = process.env.GLASSBOX_TOKEN ?? '';
const auth = { authorization: `Bearer ${token}` };

async function noScript(browser: Browser, name: string) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signInAs(page, name);
  return { context, page };
}

/** Sam asks for Alice's content; Alice approves on her request page, without JavaScript. */
async function approvedRequest(browser: Browser, request: APIRequestContext, text: string) {
  const created = await request.post(`${base}/api/v1/access-requests`, {
    headers: auth,
    data: {
      mailbox: 'alice@example.org', agent: 'sam.rivera', scopes: ['metadata', 'content'],
      justification: { code: 'customer_initiated_support', text, ticket: 'T-4242' }, duration_minutes: 30,
    },
  });
  expect(created.status()).toBe(201);
  const id: string = (await created.json()).id;
  const { context, page } = await noScript(browser, 'Alice Martin');
  await page.goto(`/me/requests/${id}`);
  await page.getByRole('checkbox', { name: /I allow Agent .* for 30 minutes/ }).check();
  await page.getByRole('button', { name: 'Approve access' }).click();
  await expect(page.getByRole('heading', { name: 'Access is allowed right now' })).toBeVisible();
  await context.close();
  return id;
}

/** Asks Glassbox, as Dovecot's passdb does, to let Sam into Alice's mailbox with `secret`. */
async function imapLogin(request: APIRequestContext, secret: string, session: string) {
  const res = await request.post(`${base}/api/v1/imap/login`, {
    headers: auth,
    data: { mailbox: 'alice@example.org', agent: 'sam.rivera', secret, client_ip: '127.0.0.1', session },
  });
  expect(res.status()).toBe(200);
  return res.json();
}

test('without JavaScript, the agent makes the IMAP credential and sees it exactly once', async ({ browser, request }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const id = await approvedRequest(browser, request, `E2E ${Date.now()}: IMAP credential without JavaScript`);

  const { context, page } = await noScript(browser, 'Sam Rivera');
  await page.goto(`/staff/requests/${id}`);
  await page.getByRole('button', { name: 'Make IMAP credential' }).click();
  const shown = page.getByRole('status');
  await expect(shown).toContainText('it is shown only once');
  await expect(page.getByTestId('imap-login')).toHaveText('alice@example.org*sam.rivera');
  const secret = (await page.getByTestId('imap-secret').textContent()) ?? '';
  expect(secret).toMatch(/^gbg_[A-Za-z0-9_-]{20,}$/);
  expect((await imapLogin(request, secret, `e2e${Date.now()}`)).decision).toBe('allow');

  // Back on the request's page the secret is gone for good.
  await page.getByRole('link', { name: 'Back to the request' }).click();
  await expect(page.getByText(/it is not shown again/)).toBeVisible();
  expect(await page.content()).not.toContain(secret);
  await context.close();
});

test('without JavaScript, the owner reads what the agent did in an IMAP session', async ({ browser, request }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const id = await approvedRequest(browser, request, `E2E ${Date.now()}: what staff read`);
  const { context: staff, page: agent } = await noScript(browser, 'Sam Rivera');
  await agent.goto(`/staff/requests/${id}`);
  await agent.getByRole('button', { name: 'Make IMAP credential' }).click();
  const secret = (await agent.getByTestId('imap-secret').textContent()) ?? '';
  await staff.close();

  // The session as Dovecot reports it: the login through the passdb, then its exported
  // command events (SELECT INBOX, FETCH 1:3 bodies).
  const session = `e2e${Date.now()}`;
  expect((await imapLogin(request, secret, session)).decision).toBe('allow');
  const event = (cmd_name: string, cmd_args: string) => ({
    event: 'imap_command_finished',
    fields: { user: 'alice@example.org', session, cmd_name, cmd_args, tagged_reply_state: 'OK' },
  });
  const posted = await request.post(`${base}/api/v1/imap/receipts`, {
    headers: auth, data: [event('SELECT', 'INBOX'), event('FETCH', '1:3 (BODY.PEEK[])')],
  });
  expect(posted.status()).toBe(200);
  expect((await posted.json()).recorded).toBe(2);

  const { context, page } = await noScript(browser, 'Alice Martin');
  await expect(async () => {
    await page.goto(`/me/requests/${id}`);
    const sessions = page.getByRole('region', { name: 'What staff read over IMAP' });
    await expect(sessions.getByRole('article')).toHaveCount(1);
    await expect(sessions).toContainText(/Agent \S+ opened Inbox and read 3 messages \(bodies\)\./);
    const rows = sessions.getByRole('listitem');
    await expect(rows).toHaveCount(3);
    await expect(rows.nth(0)).toContainText(/logged in · in the log at index \d+/);
    await expect(rows.nth(1)).toContainText(/Opened Inbox · in the log at index \d+/);
    await expect(rows.nth(2)).toContainText(/Read 3 messages \(bodies\) · in the log at index \d+/);
  }).toPass({ timeout: 15_000 });
  // And in the history, the receipts sit right under their login.
  await page.goto('/me/history');
  const table = page.getByRole('table', { name: /Accesses to your mailbox/ });
  const login = table.locator('tbody tr', { hasText: /imap login/i }).first();
  await expect(login.locator('xpath=following-sibling::tr[1]')).toContainText(/In the IMAP session logged in above: .*Opened Inbox/);
  await context.close();
});
