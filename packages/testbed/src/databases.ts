import { Client } from 'pg';
import { HOST, pgPort, ServerId, SUPERUSER } from './config';
import { encodeUserInfo, loadOrCreatePassword } from './password';

/** libpq URL of a database on a testbed server (a major, or `'plain'`). */
export function databaseUrl(
  server: ServerId,
  database = 'postgres',
  password = loadOrCreatePassword(),
): string {
  return `postgresql://${SUPERUSER}:${encodeUserInfo(
    password,
  )}@${HOST}:${pgPort(server)}/${encodeURIComponent(database)}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A connected superuser client; the caller ends it. */
export async function connect(
  server: ServerId,
  database = 'postgres',
): Promise<Client> {
  const client = new Client({
    host: HOST,
    port: pgPort(server),
    user: SUPERUSER,
    password: loadOrCreatePassword(),
    database,
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

export async function withClient<T>(
  server: ServerId,
  database: string,
  fn: (c: Client) => Promise<T>,
): Promise<T> {
  const client = await connect(server, database);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops a database if it exists, disconnecting whoever still uses it (WITH (FORCE): all testbed majors have it). */
export async function dropDatabaseOn(
  server: ServerId,
  name: string,
): Promise<void> {
  await withClient(server, 'postgres', c =>
    c.query(`drop database if exists ${quoteIdent(name)} with (force)`),
  );
}

/** A fresh, empty database (an old one of that name is dropped first); returns its URL. */
export async function createDatabaseOn(
  server: ServerId,
  name: string,
): Promise<string> {
  await withClient(server, 'postgres', async c => {
    await c.query(`drop database if exists ${quoteIdent(name)} with (force)`);
    // template0: nobody is ever connected to it, so concurrent creates cannot trip over each other
    await c.query(`create database ${quoteIdent(name)} template template0`);
  });
  return databaseUrl(server, name);
}
