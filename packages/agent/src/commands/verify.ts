import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect, readServerInfo } from '../connection';
import { AgentError } from '../errors';
import { Reporter } from '../events';
import { Manifest, readManifest } from '../manifest';
import { chooseRestoreClient, findClients } from '../pgClients';
import { restoreArchive } from '../restoreArchive';
import { countRows } from '../snapshot';
import { targetEnv } from './restore';

const run = promisify(execFile);

export interface VerifyOptions {
  from: string;
  scratchUrl?: string;
  /** Use the libpq environment's server for the scratch database (keeps passwords out of argv). */
  scratch?: boolean;
}

async function checkSha256(file: string, manifest: Manifest) {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(fs.createReadStream(file), async source => {
    for await (const chunk of source) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  });
  const sha256 = hash.digest('hex');
  if (sha256 !== manifest.sha256 || bytes !== manifest.bytes) {
    throw new AgentError(
      'verification',
      `the artifact is corrupted: ${bytes} bytes with sha256 ${sha256}, the manifest says ${manifest.bytes} bytes with sha256 ${manifest.sha256}`,
    );
  }
}

/** Restores into a throw-away database and compares row counts with the manifest's. */
async function checkScratchRestore(
  file: string,
  manifest: Manifest,
  env: NodeJS.ProcessEnv,
  reporter: Reporter,
) {
  const server = await readServerInfo(env);
  if (server.major < manifest.server.major) {
    throw new AgentError(
      'usage',
      `the scratch server (${server.version}) is older than the dump's (${manifest.server.version})`,
    );
  }
  const database = `backlot_verify_${randomBytes(6).toString('hex')}`;
  const admin = await connect(env);
  await admin.query(`create database ${database}`);
  try {
    const client = chooseRestoreClient(
      await findClients(),
      manifest.pgDump,
      server,
    );
    await restoreArchive({
      client,
      archive: file,
      database,
      env,
      serverMajor: server.major,
      jobs: 2,
      reporter,
    });
    const restored = await connect(env, database);
    let counts: Record<string, number>;
    try {
      counts = await countRows(restored);
    } finally {
      await restored.end().catch(() => {});
    }
    const expected = manifest.tables ?? {};
    const differences = [
      ...new Set([...Object.keys(expected), ...Object.keys(counts)]),
    ]
      .filter(table => expected[table] !== counts[table])
      .map(
        table =>
          `${table}: manifest ${expected[table] ?? 'none'}, restored ${
            counts[table] ?? 'none'
          }`,
      );
    if (differences.length) {
      throw new AgentError(
        'verification',
        `the restored data differs from the manifest: ${differences
          .slice(0, 5)
          .join('; ')}`,
      );
    }
    reporter.log(
      `restored ${
        Object.keys(counts).length
      } tables into a scratch database; row counts match`,
    );
  } finally {
    const force = server.major >= 13 ? ' with (force)' : '';
    await admin
      .query(`drop database if exists ${database}${force}`)
      .catch(() => {});
    await admin.end().catch(() => {});
  }
}

/** Checks that a backup can be restored: checksum, archive table of contents, optionally a real restore. */
export async function verify(options: VerifyOptions, reporter: Reporter) {
  if (!options.from.startsWith('file://')) {
    throw new AgentError(
      'usage',
      `verifying ${options.from} is not supported yet; use a file:// artifact`,
    );
  }
  const manifest = await readManifest(options.from);
  const file = fileURLToPath(options.from);
  await checkSha256(file, manifest);
  const client = chooseRestoreClient(
    await findClients(),
    manifest.pgDump,
    manifest.server,
  );
  try {
    await run(path.join(client.dir, 'pg_restore'), ['--list', file], {
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error: any) {
    throw new AgentError(
      'verification',
      `pg_restore cannot read the archive: ${String(
        error.stderr ?? error.message,
      ).trim()}`,
    );
  }
  if (options.scratchUrl || options.scratch) {
    await checkScratchRestore(
      file,
      manifest,
      targetEnv(options.scratchUrl),
      reporter,
    );
  }
  return { manifest };
}
