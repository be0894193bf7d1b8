import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'pg';
import { EXIT_CODES } from '../contract';
import { directoryDigest } from '../archive/manifest';
import {
  agent,
  fingerprint,
  restoreVerifyHarness,
} from '../__testUtils__/restoreVerifyHarness';

// Round trips through the real agent: dump, restore into a new database, verify, corrupt, prune.

jest.setTimeout(180_000);

describe('restore and verify round trips', () => {
  const {
    testbed,
    toolsEnv,
    env,
    readArtifact,
    writeArtifact,
    storedUnder,
    urlOf,
    expectScratchVerifyPasses,
    seedAndDump,
    restoreAsNew,
  } = restoreVerifyHarness('rt');

  // jobs 1 from S3 streams into pg_restore; jobs 2 downloads first (pg_restore --jobs needs a file)
  it.each([
    [14, 's3', '1'],
    [16, 's3', '2'],
    [18, 's3', '1'],
    [16, 'file', '2'],
  ] as const)(
    'restores a PostgreSQL %i dump from %s (--jobs %s) into a new database with equal data',
    async (major, store, jobs) => {
      const { url, location } = await seedAndDump(major, store);
      expect(location.startsWith(store === 's3' ? 's3://' : 'file://')).toBe(
        true,
      );
      const manifest = JSON.parse(
        (
          await readArtifact(location.replace('.dump', '.manifest.json'))
        ).toString('utf8'),
      );
      expect(manifest.tables).toEqual({
        'public.plain': 1000,
        'sales."MixedCase"': 500,
        'sales.docs': 200,
      });

      const targetDb = `backlot_rv_target_${major}`;
      const restored = await restoreAsNew(major, location, targetDb, jobs);
      expect(restored.result.error).toBeNull();
      expect(restored.code).toBe(EXIT_CODES.ok);
      expect(await fingerprint(urlOf(major, targetDb))).toEqual(
        await fingerprint(url),
      );
      // the password with its special characters never shows
      expect(restored.stderr).not.toContain(testbed().password);

      await expectScratchVerifyPasses(major, location);

      // one flipped byte: verify exits 6, and a streamed restore of it fails too
      const bytes = await readArtifact(location);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      await writeArtifact(location, bytes);
      const flipped = await agent(
        ['verify', '--from', location],
        env(major, 'postgres'),
      );
      expect(flipped.code).toBe(EXIT_CODES.verification);
      expect(flipped.result.error.message).toContain(
        'the artifact is corrupted',
      );
    },
  );

  // dump --jobs 2: pg_dump's directory format, one object per file below <run>.dump/
  it.each([
    [16, 's3'],
    [18, 'file'],
  ] as const)(
    'dumps PostgreSQL %i with --jobs 2 into %s as a directory that restores, verifies, fails verify when a file is corrupted, and prunes to nothing',
    async (major, store) => {
      const { url, location } = await seedAndDump(major, store, [
        '--jobs',
        '2',
      ]);
      const manifest = JSON.parse(
        (
          await readArtifact(location.replace(/\.dump$/, '.manifest.json'))
        ).toString('utf8'),
      );
      expect(manifest).toMatchObject({
        format: 'directory',
        jobs: 2,
        tables: {
          'public.plain': 1000,
          'sales."MixedCase"': 500,
          'sales.docs': 200,
        },
      });
      const names = manifest.files.map((f: { name: string }) => f.name);
      expect(names).toContain('toc.dat');
      // every file is stored with the size and sha256 the manifest records
      for (const file of manifest.files) {
        const body = await readArtifact(`${location}/${file.name}`);
        expect(body.length).toBe(file.bytes);
        expect(createHash('sha256').update(body).digest('hex')).toBe(
          file.sha256,
        );
      }

      const targetDb = `backlot_rv_dir_${major}`;
      const restored = await restoreAsNew(major, location, targetDb, '2');
      expect(restored.result.error).toBeNull();
      expect(await fingerprint(urlOf(major, targetDb))).toEqual(
        await fingerprint(url),
      );

      await expectScratchVerifyPasses(major, location);

      // the largest file holds table data: flip one byte of it
      const largest = [...manifest.files].sort(
        (a: { bytes: number }, b: { bytes: number }) => b.bytes - a.bytes,
      )[0];
      const bytes = await readArtifact(`${location}/${largest.name}`);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      await writeArtifact(`${location}/${largest.name}`, bytes);
      const flipped = await agent(
        ['verify', '--from', location],
        env(major, 'postgres'),
      );
      expect(flipped.code).toBe(EXIT_CODES.verification);
      expect(flipped.result.error.message).toContain(
        `the artifact's file ${largest.name} is corrupted`,
      );

      // before the prune: the dump (its files or folder), the manifest and the roles
      expect(
        (await storedUnder(location.replace(/\.dump$/, ''))).length,
      ).toBeGreaterThanOrEqual(3);
      const pruned = await agent(['prune', '--from', location], toolsEnv());
      expect(pruned.code).toBe(EXIT_CODES.ok);
      expect(pruned.result).toMatchObject({
        status: 'succeeded',
        location,
        manifest: location.replace(/\.dump$/, '.manifest.json'),
        error: null,
      });
      expect(await storedUnder(location.replace(/\.dump$/, ''))).toEqual([]);
    },
  );

  it('refuses a doctored manifest whose file list reaches outside the dump, in verify and in prune', async () => {
    const { location } = await seedAndDump(16, 'file', ['--jobs', '2']);
    const dumpFolder = fileURLToPath(location);
    const victim = path.join(path.dirname(dumpFolder), 'victim.txt');
    fs.writeFileSync(victim, 'not part of any backup');
    const manifestFile = dumpFolder.replace(/\.dump$/, '.manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    manifest.files.push({ name: '../victim.txt', bytes: 22, sha256: 'x' });
    // consistent with its own list, so only the name gives it away
    Object.assign(manifest, directoryDigest(manifest.files));
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));

    const verified = await agent(
      ['verify', '--from', location],
      env(16, 'postgres'),
    );
    expect(verified.code).toBe(EXIT_CODES.verification);
    expect(verified.result.error.message).toContain(
      'the manifest lists a file named "../victim.txt"',
    );
    const pruned = await agent(['prune', '--from', location], toolsEnv());
    expect(pruned.code).toBe(EXIT_CODES.ok);
    expect(fs.existsSync(dumpFolder)).toBe(false);
    expect(fs.readFileSync(victim, 'utf8')).toBe('not part of any backup');
  });

  it('fails a streamed restore of a corrupted S3 object', async () => {
    const { location } = await seedAndDump(16, 's3');
    const bytes = await readArtifact(location);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await writeArtifact(location, bytes);
    const target = 'backlot_rv_corrupt';
    const admin = new Client({ connectionString: urlOf(16, 'postgres') });
    await admin.connect();
    await admin.query(`drop database if exists ${target} with (force)`);
    await admin.end();
    const corruptRestore = await agent(
      [
        'restore',
        '--from',
        location,
        '--target-url',
        urlOf(16, target),
        '--create',
      ],
      toolsEnv(),
    );
    expect(corruptRestore.code).not.toBe(EXIT_CODES.ok);
    expect(corruptRestore.result.status).toBe('failed');
    expect(corruptRestore.result.error.message).toMatch(
      /pg_restore .* failed|the artifact is corrupted/,
    );
  });
});
