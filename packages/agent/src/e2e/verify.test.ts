import { createDatabase } from '@backlot/testbed';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'pg';
import { EXIT_CODES } from '../contract';
import { compareTableHashes, tableHashes } from '../archive/tableHashes';
import { runAgent } from '../__testUtils__/runAgent';
import {
  agent,
  restoreVerifyHarness,
} from '../__testUtils__/restoreVerifyHarness';

// What verify finds, and what it leaves behind when stopped.

jest.setTimeout(180_000);

describe('backlot-agent verify', () => {
  const { testbed, sourceDb, env, urlOf, databaseExists, seedAndDump } =
    restoreVerifyHarness('vf');

  it('content hashes tell a changed row apart from an equal table', async () => {
    const { location, url } = await seedAndDump(16, 'file');
    const bin = path.join(testbed().pgBin['18'], 'pg_restore');
    const dumpBin = path.join(testbed().pgBin['18'], 'pg_dump');
    const archive = await tableHashes(
      bin,
      ['--data-only', '--file=-', fileURLToPath(location)],
      process.env,
    );
    const sourceEnv = { ...process.env, ...env(16, sourceDb) };
    const source = () =>
      tableHashes(dumpBin, ['--data-only', '--file=-'], sourceEnv);
    expect(Object.keys(archive.hashes).sort()).toEqual([
      'public.plain',
      'sales."MixedCase"',
      'sales.docs',
    ]);
    expect(compareTableHashes(archive, await source())).toEqual([]);

    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(
      `update sales."MixedCase" set "Ünïcødé" = 'changed' where "Id" = 7`,
    );
    await client.end();
    expect(compareTableHashes(archive, await source())).toEqual([
      'sales."MixedCase": content differs',
    ]);
  });

  it('exits 6 when the scratch restore does not match the manifest, and drops the scratch database', async () => {
    const { location } = await seedAndDump(16, 'file');
    const manifestFile = fileURLToPath(location).replace(
      /\.dump$/,
      '.manifest.json',
    );
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    manifest.tables['public.plain'] = 999;
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));

    const verified = await agent(
      ['verify', '--from', location, '--scratch-url', urlOf(16, 'postgres')],
      env(16, 'postgres'),
    );
    expect(verified.code).toBe(EXIT_CODES.verification);
    expect(verified.result.error.message).toContain(
      'public.plain: manifest 999, restored 1000',
    );
    const scratch = /scratch database "(backlot_verify_[0-9a-f]+)"/.exec(
      verified.stderr,
    )?.[1];
    expect(scratch).toBeDefined();
    expect(await databaseExists(16, scratch!)).toBe(false);
  });

  it('cleans up when stopped by SIGTERM during a scratch verify: scratch database dropped, local copy removed', async () => {
    const url = await createDatabase(16, 'backlot_rv_sigterm');
    const client = new Client({ connectionString: url });
    await client.connect();
    // enough rows that the scratch restore is still running when the signal arrives
    await client.query(`
      create table big (id int primary key, note text);
      insert into big select g, md5(g::text) from generate_series(1, 1000000) g;`);
    await client.end();
    const dump = await agent(
      [
        'dump',
        '--to',
        `s3://${testbed().s3!.bucket}/rv-${randomUUID()}`,
        '--entity',
        'default/sigterm',
      ],
      env(16, 'backlot_rv_sigterm'),
    );
    expect(dump.code).toBe(EXIT_CODES.ok);

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-rv-sigterm-'));
    let scratch: string | undefined;
    const verified = await runAgent(
      ['verify', '--from', dump.result.location, '--scratch', '--events'],
      { ...env(16, 'postgres'), BACKLOT_TMPDIR: tmp },
      (pid, child) => {
        let stderr = '';
        child.stderr!.on('data', chunk => {
          stderr += chunk;
          const named = /scratch database "(backlot_verify_[0-9a-f]+)"/.exec(
            stderr,
          );
          if (named && !scratch) {
            scratch = named[1];
            process.kill(pid, 'SIGTERM');
          }
        });
      },
    );
    expect(scratch).toBeDefined();
    expect(verified.code).toBe(EXIT_CODES.other);
    expect(verified.result.error.code).toBe('interrupted');
    expect(verified.result.error.message).toMatch(/^interrupted by SIGTERM: /);
    expect(await databaseExists(16, scratch!)).toBe(false);
    // the downloaded copy of the dump (the database's data) is gone too
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});
