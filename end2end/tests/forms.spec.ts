import { expect, test } from '@playwright/test';
import { expectAccessible, hydrated, signInAs } from './helpers';

// A form says what to fix beside the field, in plain words, and moves the focus there; a
// sent form is emptied for the next one; a bad filter keeps the filter form.

test("the agent's request form names the field to fix, focuses it, and empties itself once sent", async ({ page }) => {
  await signInAs(page, 'Sam Rivera');
  await hydrated(page);
  const form = page.locator('form.request-form');
  await form.getByRole('textbox', { name: 'Mailbox' }).fill('alice@example.org');
  await form.getByRole('checkbox', { name: /Metadata/ }).check();
  await form.getByLabel('Why', { exact: true }).selectOption('customer_initiated_support');
  await form.getByLabel(/Explain, in words/).fill(`E2E form ${Date.now()}`);
  await form.getByRole('button', { name: 'Send request' }).click();

  const ticket = form.getByRole('textbox', { name: /^Ticket/ });
  const message = form.locator('#ask-ticket-problem');
  await expect(message).toHaveText(/Give the ticket number/);
  await expect(message).toHaveAttribute('role', 'alert');
  await expect(message).not.toContainText('`');
  await expect(ticket).toHaveAttribute('aria-invalid', 'true');
  await expect(ticket).toHaveAttribute('aria-describedby', 'ask-ticket-problem');
  await expect(ticket).toBeFocused();
  await expect(page.locator('.ask .notice-error')).toHaveCount(0);
  await expectAccessible(page);

  await page.keyboard.type('T-4242');
  await form.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Request sent to the owner of alice@example.org' })).toBeVisible();
  await expect(message).toHaveCount(0);
  await expect(form.getByRole('textbox', { name: 'Mailbox' })).toHaveValue('');
  await expect(ticket).toHaveValue('');
  await expect(form.getByLabel(/Explain, in words/)).toHaveValue('');
  await expect(form.getByRole('checkbox', { name: /Metadata/ })).not.toBeChecked();
});

test('a date range that ends before it starts keeps the filter form and says so by the end date', async ({ page }) => {
  await signInAs(page, 'Alice Martin');
  await page.goto('/me/history?from=2026-11-20&to=2026-11-01');
  await hydrated(page);
  const to = page.getByLabel('To', { exact: true });
  await expect(to).toHaveValue('2026-11-01');
  await expect(to).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('alert')).toHaveText(/end date is before the start date/);
  await expect(page.getByLabel('From', { exact: true })).toHaveValue('2026-11-20');
  await expect(page.getByText('We could not show this')).toHaveCount(0);
  await to.fill('2026-11-25');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByText(/matching accesses/)).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expectAccessible(page);
});
