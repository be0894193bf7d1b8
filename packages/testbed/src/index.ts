/**
 * Real components for tests, benchmarks and the demo: PostgreSQL servers 14-18 on fixed local ports, a self-built
 * PostgreSQL 17 with default configure options plus lz4 ("plain"), pg client programs of matching majors, and an S3 server.
 *
 * @packageDocumentation
 */
import { CLIENT_MAJORS, findClientBin } from './clients';
import { createDatabaseOn, databaseUrl, dropDatabaseOn } from './databases';
import { ensureTlsRolesOn } from './tls';
import { testbedUp } from './up';
import type { ServerId } from './config';

/** Starts (if need be) just the one server a database helper works on. */
async function upFor(server: ServerId): Promise<void> {
  await testbedUp(
    server === 'plain'
      ? { pg: [], plain: true, clients: [] }
      : { pg: [server], clients: [] },
  );
}

export type {
  TestbedInfo,
  TestbedKubernetes,
  TestbedPlainServer,
  TestbedS3,
  TestbedUpOptions,
} from './types';
export type { TestbedStatus } from './up';
export type { ServerStatus } from './postgres';
export type { TestbedTls } from './tls';
export { testbedUp, testbedDown, testbedStatus } from './up';
export { databaseUrl } from './databases';
export { DEMO_DATABASES } from './seed';
/** An S3 client for the testbed's S3 server (or `info`'s). */
export { s3Client } from './s3';
export { startRecordingProxy } from './recordingProxy';
export type { RecordedRequest } from './recordingProxy';
export {
  SERVER_MAJORS,
  DEFAULT_CLIENT_MAJORS,
  PLAIN_MAJOR,
  pgPort,
  s3Port,
  k8sPorts,
  K8S_NAMESPACE,
  stateDir,
} from './config';
export type { ServerId } from './config';

/**
 * A fresh, empty database on the server of `major`, or on the plain server with `'plain'` (started if it is not
 * running; an old database of that name is dropped first). Returns its URL.
 */
export async function createDatabase(
  server: ServerId,
  name: string,
): Promise<string> {
  await upFor(server);
  return createDatabaseOn(server, name);
}

/**
 * The TLS-only role (testbed.tls.tlsOnlyUser, with the superuser's password) and the certificate role
 * (testbed.tls.certUser) on the server of `major`, both members of pg_read_all_data.
 */
export async function ensureTlsRoles(major: number): Promise<void> {
  const testbed = await testbedUp({ pg: [major], clients: [] });
  await ensureTlsRolesOn(major, testbed.password);
}

/** Drops a database (if it exists) on the server of `major` (or `'plain'`), disconnecting its sessions. */
export async function dropDatabase(
  server: ServerId,
  name: string,
): Promise<void> {
  await upFor(server);
  await dropDatabaseOn(server, name);
}

/** The URL of an existing database, without touching the server. */
export function testbedDatabaseUrl(server: ServerId, name: string): string {
  return databaseUrl(server, name);
}

/**
 * The client bin dir for a server major the way the product chooses: the exact major, else the nearest newer one
 * the testbed provides. Undefined when nothing fits (run testbedUp first: it installs or builds the clients).
 */
export function pgBinFor(
  serverMajor: number,
): { major: number; dir: string } | undefined {
  for (const m of CLIENT_MAJORS) {
    if (m < serverMajor) continue;
    const dir = findClientBin(m);
    if (dir) return { major: m, dir };
  }
  return undefined;
}

/** Path of one client program (psql, pg_dump, pg_restore, pg_dumpall) suited to a server major. */
export function pgTool(
  serverMajor: number,
  tool: 'psql' | 'pg_dump' | 'pg_restore' | 'pg_dumpall',
): string {
  const bin = pgBinFor(serverMajor);
  if (!bin)
    throw new Error(
      `no PostgreSQL client for server major ${serverMajor}: run \`yarn testbed up\` first`,
    );
  return `${bin.dir}/${tool}`;
}
