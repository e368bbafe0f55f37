import { expect, test } from '@playwright/test';

test('a developer reads the Service API reference, drawn from the document the server serves', async ({ page }) => {
  const elsewhere: string[] = [];
  page.on('requestfinished', (r) => { if (!r.url().startsWith(new URL(page.url() || 'http://x').origin) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) elsewhere.push(r.url()); });
  await page.goto('/api/docs');
  // Redoc replaces the fallback with the laid-out reference: title, operations, schemas.
  await expect(page.getByRole('heading', { name: /Glassbox Service API/ }).first()).toBeVisible();
  await expect(page.getByText('/api/v1/access/check').first()).toBeAttached();
  await expect(page.getByRole('heading', { name: /CheckRequest|access\/check/ }).first()).toBeAttached();
  await expect(page.getByText('The reference is laid out by a script')).toHaveCount(0);
  // Nothing is fetched from a CDN: the page's policy blocks even Redoc's own badge image.
  expect(elsewhere.filter((u) => !u.startsWith(new URL(page.url()).origin))).toEqual([]);
});
