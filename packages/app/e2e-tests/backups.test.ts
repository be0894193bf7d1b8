import { test, expect } from '@playwright/test';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const backend = process.env.BACKLOT_BACKEND_URL ?? 'http://localhost:7007';

test('a database is backed up from its Backups tab', async ({
  page,
  request,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  // signed in once the sidebar shows; the guest session then survives a reload
  await expect(
    page.getByRole('link', { name: 'Catalog' }).first(),
  ).toBeVisible();

  await page.goto('/catalog/default/resource/orders-db');
  await page.getByRole('link', { name: 'Backups', exact: true }).click();
  await expect(page.getByText('Europe/Berlin').first()).toBeVisible();

  const backUpNow = page.getByRole('button', { name: 'Back up now' });
  await expect(backUpNow).toBeEnabled();
  await backUpNow.click();

  // The new run shows up in the history and turns succeeded without a reload.
  const guest = await request.get(
    `${backend}/api/auth/guest/refresh?env=development`,
    {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    },
  );
  const token = (await guest.json()).backstageIdentity.token;
  let run: any;
  await expect
    .poll(
      async () => {
        const res = await request.get(
          `${backend}/api/db-backups/runs?entityRef=resource:default/orders-db&limit=1`,
          { headers: { Authorization: `Bearer ${token}` } },
        );
        run = (await res.json()).items[0];
        return run?.status;
      },
      { timeout: 120_000 },
    )
    .toBe('succeeded');
  await expect(
    page.getByRole('row').filter({ hasText: 'succeeded' }).first(),
  ).toBeVisible();

  // What the tab shows is what is on disk.
  const file = fs.readFileSync(fileURLToPath(run.artifact.location));
  expect(createHash('sha256').update(file).digest('hex')).toBe(run.sha256);
  expect(run.pgDumpVersion.split('.')[0]).toBe('17'); // server 16, nearest newer client
});
