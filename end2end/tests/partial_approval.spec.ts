import { APIRequestContext, expect, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs, watchErrors } from './helpers';

// The owner may allow less than asked: untick a part of the mailbox and choose a shorter
// time. The sentence they confirm follows their choice; the owner and the agent then see
// what was asked and what was allowed. Without JavaScript the same form works.
const base = process.env.GLASSBOX_URL ?? 'http://127.0.0.1:3000';
const token = process.env.GLASSBOX_TOKEN ?? '';

async function newRequest(request: APIRequestContext, text: string): Promise<string> {
  const res = await request.post(`${base}/api/v1/access-requests`, {
    headers: { authorization: `Bearer ${token}` },
    data: {
      mailbox: 'alice@example.org', agent: 'sam.rivera', scopes: ['metadata', 'content'], duration_minutes: 45,
      justification: { code: 'customer_initiated_support', text, ticket: 'T-515' },
    },
  });
  expect(res.status()).toBe(201);
  return (await res.json()).id;
}

const listScope = 'see folder names, senders, subjects and dates';
const textScope = 'read the text of your messages';

test('an owner allows only the message list for 15 minutes, and owner and agent see what was allowed', async ({ browser }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const reason = `E2E allow less ${Date.now()}`;
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  const errors = watchErrors(owner);
  await signInAs(owner, 'Alice Martin');
  const id = await newRequest(owner.request, reason);

  await owner.goto(`/me/requests/${id}`);
  await hydrated(owner);
  const choice = owner.getByRole('group', { name: 'What you allow' });
  await expect(choice.getByRole('checkbox', { name: listScope, exact: true })).toBeChecked();
  await expect(choice.getByRole('checkbox', { name: textScope, exact: true })).toBeChecked();
  await expect(owner.getByRole('checkbox', { name: /I allow Agent .* for 45 minutes/ })).toBeVisible();
  await expectAccessible(owner);

  // Unticking everything says what to do, in the sentence itself.
  await choice.getByRole('checkbox', { name: listScope, exact: true }).uncheck();
  await choice.getByRole('checkbox', { name: textScope, exact: true }).uncheck();
  await expect(owner.getByText('Tick at least one part of the mailbox above')).toBeVisible();

  // The message list only, for 15 minutes: the sentence follows.
  await choice.getByRole('checkbox', { name: listScope, exact: true }).check();
  await choice.getByLabel(/For how many minutes/).fill('15');
  const consent = owner.getByRole('checkbox', { name: new RegExp(`I allow Agent .* to ${listScope} for 15 minutes, starting now`) });
  await consent.check();
  await owner.getByRole('button', { name: 'Approve access' }).click();
  await expect(owner.getByRole('status')).toContainText(`You allowed less than asked: to ${listScope} for 15 minutes.`);
  const card = owner.locator('article.request-card');
  await expect(card.locator('dt', { hasText: 'Asked to' })).toBeVisible();
  await expect(card.locator('dd.allowed-less').first()).toHaveText(listScope);
  await expect(card.locator('dt', { hasText: 'Allowed for' }).locator('+ dd')).toHaveText('15 minutes');
  await expectAccessible(owner);
  expect(errors).toEqual([]);

  // The agent sees what the owner allowed next to what they asked.
  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signInAs(agent, 'Sam Rivera');
  const agentCard = agent.locator('article.request-card', { hasText: reason });
  await expect(agentCard.locator('dt', { hasText: 'Allowed to' }).locator('+ dd')).toHaveText(listScope);
  await expect(agentCard.locator('dt', { hasText: 'Allowed for' }).locator('+ dd')).toHaveText('15 minutes');
  await ownerContext.close();
  await agentContext.close();
});

test('without JavaScript an owner can allow less than asked, and the page confirms what was allowed', async ({ browser }) => {
  test.skip(!token, 'GLASSBOX_TOKEN is set by scripts/test.sh');
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signInAs(page, 'Alice Martin');
  const id = await newRequest(page.request, `E2E no-JS allow less ${Date.now()}`);
  await page.goto(`/me/requests/${id}`);
  // The page says the sentence does not follow the choices without JavaScript.
  await expect(page.getByText('Without JavaScript the sentence below does not follow your choices')).toBeVisible();
  const choice = page.getByRole('group', { name: 'What you allow' });
  await choice.getByRole('checkbox', { name: textScope, exact: true }).uncheck();
  await choice.getByLabel(/For how many minutes/).fill('10');
  await page.getByRole('checkbox', { name: /I allow Agent/ }).check();
  await page.getByRole('button', { name: 'Approve access' }).click();
  await expect(page).toHaveURL(new RegExp(`/me/requests/${id}\\?done=approved$`));
  await expect(page.getByRole('status')).toContainText(`You allowed less than asked: to ${listScope} for 10 minutes.`);
  await context.close();
});
