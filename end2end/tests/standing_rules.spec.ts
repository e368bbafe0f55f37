import { expect, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs, watchErrors } from './helpers';

// An owner refuses some requests in advance; a request their rule refuses is refused at once,
// shown to them marked as refused by their rule, and its agent is told which rule.

test('an owner who never allows reading their messages sees a content request refused by their rule', async ({ browser }) => {
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  const errors = watchErrors(owner);
  await signInAs(owner, 'Chen Wei');
  await owner.getByRole('link', { name: 'Standing rules' }).click();
  await expect(owner.getByRole('heading', { level: 1, name: 'Standing rules' })).toBeVisible();
  await hydrated(owner);
  await expectAccessible(owner);
  await owner.getByRole('checkbox', { name: 'Never allow reading my messages' }).check();
  await owner.getByRole('button', { name: 'Save rules' }).click();
  await expect(owner.getByRole('status')).toContainText('Saved: your rules apply to every new request.');
  await owner.reload();
  await expect(owner.getByRole('checkbox', { name: 'Never allow reading my messages' })).toBeChecked();

  // An agent asks to read messages: refused at once, and told why.
  const reason = `E2E rules ${Date.now()}: you asked us to look at a missing message`;
  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signInAs(agent, 'Sam Rivera');
  await hydrated(agent);
  await agent.getByRole('textbox', { name: 'Mailbox' }).fill('chen.wei@example.org');
  await agent.getByRole('checkbox', { name: /Content/ }).check();
  await agent.getByLabel('Why', { exact: true }).selectOption('customer_initiated_support');
  await agent.getByLabel(/Explain, in words/).fill(reason);
  await agent.getByLabel(/^Ticket/).fill('T-311');
  await agent.getByLabel(/For how long/).fill('30');
  await agent.getByRole('button', { name: 'Send request' }).click();
  await expect(agent.getByRole('status')).toContainText(
    "Not sent to the owner of chen.wei@example.org. Refused by the owner's standing rule: never allow reading my messages",
  );
  await agentContext.close();

  // The owner was not asked, and finds it marked as refused by their rule.
  await owner.goto('/me/requests');
  const card = owner.locator('article.request-card', { hasText: reason });
  await expect(card).toContainText('Denied');
  await expect(card).toContainText("Refused by the owner's standing rule");
  await card.getByRole('link').first().click();
  await expect(owner.getByText('Glassbox, by your standing rule')).toBeVisible();
  expect(errors).toEqual([]);
  await ownerContext.close();
});

test('standing rules are changed without JavaScript too', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signInAs(page, 'Emeka Obi');
  await page.goto('/me/rules');
  await page.getByRole('checkbox', { name: 'Refuse requests without a support ticket' }).check();
  await page.getByRole('button', { name: 'Save rules' }).click();
  await page.goto('/me/rules');
  await expect(page.getByRole('checkbox', { name: 'Refuse requests without a support ticket' })).toBeChecked();
  await page.getByRole('checkbox', { name: 'Refuse requests without a support ticket' }).uncheck();
  await page.getByRole('button', { name: 'Save rules' }).click();
  await page.goto('/me/rules');
  await expect(page.getByRole('checkbox', { name: 'Refuse requests without a support ticket' })).not.toBeChecked();
  await context.close();
});
