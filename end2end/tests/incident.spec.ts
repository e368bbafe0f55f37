import { expect, test } from '@playwright/test';
import { hydrated, signInAs, watchErrors } from './helpers';

test('an owner touched by an incident reads what happened, ticks off the steps and acknowledges; the admins see it', async ({ browser }) => {
  const owner = await (await browser.newContext()).newPage();
  const errors = watchErrors(owner);
  await signInAs(owner, 'Bilal Haddad');
  await expect(owner).toHaveURL(/\/me$/);
  const banner = owner.getByRole('alert').filter({ hasText: 'A security incident affected your mailbox' });
  await expect(banner).toBeVisible();
  await banner.getByRole('link').click();

  await expect(owner).toHaveURL(/\/me\/incidents\/[0-9a-f-]+$/);
  await hydrated(owner);
  await expect(owner.getByRole('heading', { level: 1 })).toHaveText("A support agent's sign-in was stolen");
  await expect(owner.getByRole('heading', { name: 'What happened to your mailbox' })).toBeVisible();
  await expect(owner.getByRole('heading', { name: 'What we have done' })).toBeVisible();
  await expect(owner.getByText('We disabled the staff account involved')).toBeVisible();
  const accesses = owner.getByRole('table', { name: /Every access to your mailbox that was part of this incident/ });
  await expect(accesses.locator('tbody tr').first()).toBeVisible();
  await expect(owner.getByText('0 of 6 done.')).toBeVisible();

  // Tick the first step with the keyboard, the second with the mouse.
  const first = owner.getByRole('button', { name: 'Mark as done' }).first();
  await first.focus();
  await owner.keyboard.press('Enter');
  await expect(owner.getByText('1 of 6 done.')).toBeVisible();
  await expect(owner.getByText(/^Done: Change your mailbox password/)).toBeVisible();
  await owner.getByRole('button', { name: 'Mark as done' }).first().click();
  await expect(owner.getByText('2 of 6 done.')).toBeVisible();

  await owner.getByRole('button', { name: 'I have read this' }).click();
  await expect(owner.getByRole('status')).toContainText('You confirmed you read this');

  // It is kept after a reload. Reading is not doing: with 4 steps open the banner stays.
  await owner.reload();
  await expect(owner.getByText('2 of 6 done.')).toBeVisible();
  await owner.goto('/me');
  await expect(owner.getByRole('heading', { name: 'Your mailbox' })).toBeVisible();
  const reminder = owner.getByRole('alert').filter({ hasText: 'A security incident affected your mailbox' });
  await expect(reminder).toContainText('2 of 6 steps done');

  // The incident can always be found again from the navigation.
  await owner.getByRole('navigation').getByRole('link', { name: 'Incidents' }).click();
  await expect(owner).toHaveURL(/\/me\/incidents$/);
  await expect(owner.getByRole('heading', { level: 1 })).toHaveText('Security incidents');
  const listed = owner.getByRole('listitem').filter({ hasText: "A support agent's sign-in was stolen" });
  await expect(listed).toContainText('2 of 6 steps done');
  await expect(listed).toContainText('you read it');

  // The owner may hide the reminder; the incident stays in the list.
  await owner.goto('/me');
  await hydrated(owner);
  await reminder.getByRole('button', { name: 'Hide this reminder' }).click();
  await expect(reminder).toHaveCount(0);
  await owner.reload();
  await expect(owner.getByRole('heading', { name: 'Your mailbox' })).toBeVisible();
  await expect(reminder).toHaveCount(0);
  await owner.goto('/me/incidents');
  await expect(owner.getByRole('link', { name: "A support agent's sign-in was stolen" })).toBeVisible();
  expect(errors).toEqual([]);

  // A security admin follows the incident: affected set, delivery, acknowledgements.
  const admin = await (await browser.newContext()).newPage();
  await signInAs(admin, 'Morgan Lee');
  await admin.goto('/admin/incidents');
  await admin.getByRole('link', { name: "A support agent's sign-in was stolen" }).click();
  await expect(admin.getByRole('heading', { name: /Affected mailboxes, as recorded at confirmation/ })).toBeVisible();
  await expect(admin.getByText(/owners acknowledged/)).toBeVisible();
  await expect(admin.getByRole('img', { name: /Acknowledgements per day/ })).toBeVisible();
  await expect(admin.getByRole('link', { name: 'Download the affected mailboxes (CSV)' })).toBeVisible();
});

test('a support agent cannot open the incidents', async ({ page }) => {
  await signInAs(page, 'Sam Rivera');
  await page.goto('/admin/incidents');
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('link', { name: "A support agent's sign-in was stolen" })).toHaveCount(0);
});
