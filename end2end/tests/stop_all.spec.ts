import { Browser, expect, test } from '@playwright/test';
import { hydrated, signInAs, watchErrors } from './helpers';

const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
const token = process.env.GLASSBOX_TOKEN ?? '';

/** Sam Rivera asks for metadata access to `mailbox` from the staff console; returns the reason (unique). */
async function agentAsks(browser: Browser, mailbox: string): Promise<string> {
  const reason = `E2E stop-all ${Date.now()}: you asked us to look at a sync problem`;
  const context = await browser.newContext();
  const agent = await context.newPage();
  await signInAs(agent, 'Sam Rivera');
  await hydrated(agent);
  await agent.getByRole('textbox', { name: 'Mailbox' }).fill(mailbox);
  await agent.getByRole('checkbox', { name: /Metadata/ }).check();
  await agent.getByLabel('Why', { exact: true }).selectOption('customer_initiated_support');
  await agent.getByLabel(/Explain, in words/).fill(reason);
  await agent.getByLabel(/^Ticket/).fill('T-910');
  await agent.getByLabel(/For how long/).fill('60');
  await agent.getByRole('button', { name: 'Send request' }).click();
  await expect(agent.getByRole('status')).toContainText(`Request sent to the owner of ${mailbox}`);
  await context.close();
  return reason;
}

async function decision(mailbox: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/access/check`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ mailbox, agent: 'sam.rivera', scope: 'metadata', action: 'list_folders', resource: 'folder:INBOX' }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).decision;
}

test('an owner stops every access and request at once, after confirming', async ({ browser }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const granted = await agentAsks(browser, 'dana@example.org');
  const waiting = await agentAsks(browser, 'dana@example.org');

  const context = await browser.newContext();
  const owner = await context.newPage();
  const errors = watchErrors(owner);
  await signInAs(owner, 'Dana Kowalski');
  // Dana allows one request, and leaves the other waiting.
  await owner.locator('article.request-card', { hasText: granted }).getByRole('link', { name: 'Review and decide' }).click();
  await hydrated(owner);
  await owner.getByRole('checkbox', { name: /I allow Agent .* for 1 hour/ }).check();
  await owner.getByRole('button', { name: 'Approve access' }).click();
  await expect(owner.getByRole('status')).toContainText('You approved this request');
  expect(await decision('dana@example.org')).toBe('allow');

  await owner.goto('/me');
  await hydrated(owner);
  const section = owner.getByRole('region', { name: 'Stop all access' });
  await expect(owner.locator('article.request-card', { hasText: waiting })).toBeVisible();
  // Without the tick, nothing is sent.
  await section.getByRole('button', { name: 'Stop all access' }).click();
  await expect(section.getByRole('checkbox', { name: /I want to stop every access and request now/ })).toBeVisible();
  expect(await decision('dana@example.org')).toBe('allow');

  await section.getByRole('checkbox', { name: /I want to stop every access and request now/ }).check();
  await section.getByRole('button', { name: 'Stop all access' }).click();
  await expect(owner.getByRole('status').filter({ hasText: 'Stopped' })).toContainText(
    'Stopped 1 access and cancelled 1 request. Nobody has access to your mailbox now.',
  );
  await expect(section).toContainText('There is nothing to stop');
  await expect(owner.locator('article.request-card', { hasText: waiting })).toHaveCount(0);
  expect(await decision('dana@example.org')).toBe('deny');

  // The requests page says what became of each.
  await owner.goto('/me/requests');
  await expect(owner.locator('article.request-card', { hasText: granted })).toContainText(/Revoked/);
  await expect(owner.locator('article.request-card', { hasText: waiting })).toContainText(/Cancelled/);
  expect(errors).toEqual([]);
  await context.close();
});

test('stop all works without JavaScript and says what it did', async ({ browser }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const waiting = await agentAsks(browser, 'emeka.obi@example.org');
  const context = await browser.newContext({ javaScriptEnabled: false });
  const owner = await context.newPage();
  await signInAs(owner, 'Emeka Obi');
  await expect(owner.locator('article.request-card', { hasText: waiting })).toBeVisible();
  const section = owner.getByRole('region', { name: 'Stop all access' });
  await section.getByRole('checkbox', { name: /I want to stop every access and request now/ }).check();
  await section.getByRole('button', { name: 'Stop all access' }).click();
  await expect(owner).toHaveURL(/\/me\?stopped=\d+&cancelled=\d+$/);
  await expect(owner.getByRole('status').filter({ hasText: 'Stopped' })).toContainText(/cancelled [1-9]\d* requests?\. Nobody has access/);
  await expect(owner.locator('article.request-card', { hasText: waiting })).toHaveCount(0);
  await context.close();
});
