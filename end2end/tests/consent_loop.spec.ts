import { expect, Page, test } from '@playwright/test';
import { hydrated, signInAs, watchErrors } from './helpers';

const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
const token = process.env.GLASSBOX_TOKEN ?? '';

async function check(page: Page, scope: string) {
  const res = await page.request.post(`${base}/api/v1/access/check`, {
    headers: { authorization: `Bearer ${token}` },
    data: { mailbox: 'alice@example.org', agent: 'sam.rivera', scope, action: 'read_message', resource: 'message:e2e' },
  });
  expect(res.status()).toBe(200);
  return res.json();
}

test('an agent asks, the owner approves, access is allowed, the owner sees it, revokes, and access stops', async ({ browser }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const reason = `E2E ${Date.now()}: you reported that mail stopped syncing`;

  // The agent asks from the staff console.
  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  const agentErrors = watchErrors(agent);
  await signInAs(agent, 'Sam Rivera');
  await hydrated(agent);
  await agent.getByRole('textbox', { name: 'Mailbox' }).fill('alice@example.org');
  await agent.getByRole('checkbox', { name: /Metadata/ }).check();
  await agent.getByRole('checkbox', { name: /Content/ }).check();
  await agent.getByLabel('Why', { exact: true }).selectOption('customer_initiated_support');
  await agent.getByLabel(/Explain, in words/).fill(reason);
  await agent.getByLabel(/^Ticket/).fill('T-777');
  await agent.getByLabel(/For how long/).fill('30');
  await agent.getByRole('button', { name: 'Send request' }).click();
  await expect(agent.getByRole('status')).toContainText('Request sent to the owner of alice@example.org');
  const agentCard = agent.locator('article.request-card', { hasText: reason });
  await expect(agentCard.getByText('Waiting for a decision')).toBeVisible();

  // Nothing is allowed yet.
  expect((await check(agent, 'content')).decision).toBe('deny');

  // The owner reviews and approves.
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  const ownerErrors = watchErrors(owner);
  await signInAs(owner, 'Alice Martin');
  const pendingCard = owner.locator('article.request-card', { hasText: reason });
  await expect(pendingCard).toContainText('read the text of your messages');
  await expect(pendingCard).toContainText('T-777');
  await pendingCard.getByRole('link', { name: 'Review and decide' }).click();
  await expect(owner.getByRole('heading', { name: 'Your decision' })).toBeVisible();
  await hydrated(owner);
  await owner.getByRole('checkbox', { name: /I allow Agent .* for 30 minutes/ }).check();
  await owner.getByRole('button', { name: 'Approve access' }).click();
  await expect(owner.getByRole('status')).toContainText('You approved this request');
  await expect(owner.getByRole('heading', { name: 'Access is allowed right now' })).toBeVisible();

  // The agent's console shows the approval by itself, without a reload.
  await expect(agentCard.getByText('Approved')).toBeVisible({ timeout: 15_000 });

  // The mail system's check is allowed now, and the owner sees that access.
  const allowed = await check(owner, 'content');
  expect(allowed.decision).toBe('allow');
  await owner.goto('/me/history');
  const newest = owner.getByRole('table', { name: /Accesses to your mailbox/ }).locator('tbody tr').first();
  await expect(newest).toContainText(/read message/i);
  await expect(newest).toContainText('Allowed');
  // Which message, and under which request (a link to it).
  await expect(newest).toContainText('message e2e');
  await expect(newest.getByRole('link', { name: /^Request [0-9a-f]{8}$/ })).toHaveAttribute('href', /^\/me\/requests\/[0-9a-f-]{36}$/);

  // The owner revokes; the next check is denied and the agent sees "Revoked".
  await owner.goBack();
  await hydrated(owner);
  await owner.getByRole('button', { name: 'Revoke access now' }).click();
  await expect(owner.getByRole('status')).toContainText('You revoked this access');
  expect((await check(owner, 'content')).decision).toBe('deny');
  await expect(agentCard.getByText('Revoked')).toBeVisible({ timeout: 15_000 });

  // Each step of the request is in the verifiable log, listed on its page.
  await expect(async () => {
    await owner.reload();
    const steps = owner.getByRole('region', { name: 'What happened, step by step' }).getByRole('listitem');
    await expect(steps).toHaveCount(3);
    await expect(steps.nth(0)).toContainText(/Asked for access by the staff member · in the log at index \d+/);
    await expect(steps.nth(1)).toContainText(/Approved by you · in the log at index \d+/);
    await expect(steps.nth(2)).toContainText(/Approval withdrawn by you · in the log at index \d+/);
    // And the browser checked each step against the signed log itself.
    await expect(owner.locator('[data-log-check="verified"]')).toBeVisible({ timeout: 3_000 });
    await expect(steps.filter({ hasText: '✓ verified in your browser' })).toHaveCount(3);
  }).toPass({ timeout: 15_000 });
  // The page lists the accesses made under the request: the one allowed read.
  const accesses = owner.getByRole('table', { name: 'Every access decided under this request, newest first' });
  await expect(accesses.locator('tbody tr').filter({ hasText: 'message e2e' }).filter({ hasText: 'Allowed' })).toHaveCount(1);

  expect(agentErrors).toEqual([]);
  expect(ownerErrors).toEqual([]);
  await agentContext.close();
  await ownerContext.close();
});

test('a denial needs no confirmation and its reason reaches the agent', async ({ browser }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const reason = `E2E deny ${Date.now()}`;
  const res = await (await browser.newContext()).request.post(`${base}/api/v1/access-requests`, {
    headers: { authorization: `Bearer ${token}` },
    data: { mailbox: 'alice@example.org', agent: 'sam.rivera', scopes: ['settings'], justification: { code: 'service_maintenance', text: reason } },
  });
  expect(res.status()).toBe(201);
  const { id } = await res.json();
  const page = await browser.newPage();
  await signInAs(page, 'Alice Martin');
  await page.goto(`/me/requests/${id}`);
  await hydrated(page);
  await page.getByLabel(/Reason/).fill('Please call me first');
  await page.getByRole('button', { name: 'Deny' }).click();
  await expect(page.getByRole('status')).toContainText('You denied this request');
  const after = await page.request.get(`${base}/api/v1/access-requests/${id}`, { headers: { authorization: `Bearer ${token}` } });
  expect((await after.json()).decision_reason).toBe('Please call me first');
});
