import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  createDatabase,
  testbedUp,
  TestbedInfo,
  s3Client,
} from '@backlot/testbed';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { EXIT_CODES } from '../contract';
import { agent } from './runAgent';
import { testbedAccess } from './testbedAccess';

// What the restore and verify tests (e2e/roundTrip, e2e/restore, e2e/verify) share: servers 14, 16
// and 18 with S3, a seeded source database, and reading and writing the stored artifact.

export { agent } from './runAgent';

/** Everything that must survive a round trip, as one comparable value per table plus the large object. */
export async function fingerprint(url: string) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const tables = ['public.plain', 'sales."MixedCase"', 'sales.docs'];
    const result: Record<string, string> = {};
    for (const t of tables) {
      const { rows } = await client.query(
        `select count(*) || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as f from ${t} x`,
      );
      result[t] = rows[0].f;
    }
    const { rows } = await client.query(
      `select md5(lo_get(oid)) as f from pg_largeobject_metadata`,
    );
    result.largeObjects = rows.map(r => r.f).join(',');
    return result;
  } finally {
    await client.end();
  }
}

/**
 * Starts the testbed before the file's tests and returns its helpers. `prefix` keeps the file's
 * source database apart from other files' (Jest runs test files at once).
 */
export function restoreVerifyHarness(prefix: string) {
  /** the database seedAndDump fills and dumps */
  const sourceDb = `backlot_${prefix}_source`;
  let testbed: TestbedInfo;
  let s3: S3Client;
  // reaching the servers and the agent: the helpers every agent test file shares
  const access = () => testbedAccess(testbed);
  /** pg clients and the testbed's S3: what every agent call gets, but no database credentials. */
  const toolsEnv = () => access().toolsEnv();
  const env = (major: number, database: string) =>
    access().env(major, database);
  const s3Key = (location: string) =>
    location.replace(`s3://${testbed.s3!.bucket}/`, '');
  async function readArtifact(location: string): Promise<Buffer> {
    if (location.startsWith('file://'))
      return fs.readFileSync(fileURLToPath(location));
    const got = await s3.send(
      new GetObjectCommand({
        Bucket: testbed.s3!.bucket,
        Key: s3Key(location),
      }),
    );
    return Buffer.from(await got.Body!.transformToByteArray());
  }
  async function writeArtifact(location: string, body: Buffer) {
    if (location.startsWith('file://')) {
      fs.writeFileSync(fileURLToPath(location), body);
      return;
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: testbed.s3!.bucket,
        Key: s3Key(location),
        Body: body,
      }),
    );
  }
  /** Objects (S3) or files (folder) whose key starts with `base`'s. */
  async function storedUnder(base: string): Promise<string[]> {
    if (base.startsWith('file://')) {
      const file = fileURLToPath(base);
      return fs
        .readdirSync(path.dirname(file))
        .filter(name => name.startsWith(path.basename(file)));
    }
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: testbed.s3!.bucket,
        Prefix: s3Key(base),
      }),
    );
    return (listed.Contents ?? []).map(o => o.Key!);
  }
  const urlOf = (major: number, database: string) =>
    access().urlOf(major, database);
  const databaseExists = (major: number, database: string) =>
    access().databaseExists(major, database);
  /** restore --create of `location` into `database` on `major`, dropped first. */
  const restoreAsNew = (
    major: number,
    location: string,
    database: string,
    jobs: string,
  ) => access().restoreAsNew(location, major, database, '--jobs', jobs);

  /** verify --scratch-url: a real restore whose row counts and content match. */
  async function expectScratchVerifyPasses(major: number, location: string) {
    const verified = await agent(
      ['verify', '--from', location, '--scratch-url', urlOf(major, 'postgres')],
      env(major, 'postgres'),
    );
    expect(verified.code).toBe(EXIT_CODES.ok);
    expect(verified.stderr).toContain(
      'row counts match the manifest and the content of 3 tables matches the archive',
    );
  }

  async function seedAndDump(
    major: number,
    store: 'file' | 's3' = 's3',
    dumpArgs: string[] = [],
  ) {
    const url = await createDatabase(major, sourceDb);
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(`
      create table plain (id int primary key, note text);
      insert into plain select g, 'note ' || g from generate_series(1, 1000) g;
      create schema sales;
      create table sales."MixedCase" ("Id" int, "Ünïcødé" text);
      insert into sales."MixedCase" select g, '日本語 ✓ ' || g from generate_series(1, 500) g;
      create table sales.docs (id int, body jsonb);
      insert into sales.docs select g, jsonb_build_object('k', g, 'v', repeat('x', 3000)) from generate_series(1, 200) g;
      select lo_from_bytea(0, convert_to(repeat('large object ', 1000), 'UTF8'));
    `);
    await client.end();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-rv-'));
    const dump = await agent(
      [
        'dump',
        '--to',
        store === 's3'
          ? `s3://${testbed.s3!.bucket}/rv-${randomUUID()}`
          : pathToFileURL(dir).href,
        '--entity',
        'default/rv',
        '--run-id',
        `rv-${major}`,
        ...dumpArgs,
      ],
      env(major, sourceDb),
    );
    expect(dump.code).toBe(EXIT_CODES.ok);
    return { url, dir, location: dump.result.location as string };
  }

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [14, 16, 18], s3: true });
    s3 = s3Client(testbed.s3!);
  });

  return {
    /** set once beforeAll has run */
    testbed: () => testbed,
    sourceDb,
    s3: () => s3,
    toolsEnv,
    env,
    s3Key,
    readArtifact,
    writeArtifact,
    storedUnder,
    urlOf,
    databaseExists,
    expectScratchVerifyPasses,
    seedAndDump,
    restoreAsNew,
  };
}
