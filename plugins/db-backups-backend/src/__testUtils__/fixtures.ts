import { Entity } from '@backstage/catalog-model';
import { testbedUp, createDatabase } from '@backlot/testbed';
import { Client } from 'pg';
import request from 'supertest';
import { Run, TERMINAL_RUN_STATUSES } from '@backlot/plugin-db-backups-common';

/** A database entity as a service team would write it in catalog-info.yaml. */
export function databaseEntity(
  name: string,
  annotations: Record<string, string>,
  spec: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      type: 'database',
      owner: 'team-a',
      lifecycle: 'experimental',
      ...spec,
    },
  };
}

export const SEED_TABLES = [
  'public.customers',
  'sales."Orders"',
  'sales.items',
];

/** A fresh database on the testbed server of `major` with a few schemas and tables. */
export async function seededDatabase(major: number, name: string) {
  const testbed = await testbedUp({ pg: [major] });
  const url = await createDatabase(major, name);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      create table customers (id serial primary key, name text not null);
      insert into customers (name) select 'customer ' || g || ' ✓' from generate_series(1, 500) g;
      create schema sales;
      create table sales."Orders" (id serial primary key, customer_id int references customers, total numeric);
      insert into sales."Orders" (customer_id, total) select 1 + g % 500, g * 1.5 from generate_series(1, 2000) g;
      create table sales.items (order_id int, sku text);
      insert into sales.items select g, 'sku-' || g from generate_series(1, 3000) g;
    `);
  } finally {
    await client.end();
  }
  return {
    url,
    connection: {
      host: testbed.host,
      port: testbed.ports[String(major)],
      user: testbed.user,
      password: testbed.password,
      database: name,
    },
  };
}

/** A seeded database with a table of 150k rows of 2 KB: its dump runs for a few seconds. */
export async function bigDatabase(major: number, name: string, rows = 150_000) {
  const database = await seededDatabase(major, name);
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(
      `create table big as select g as id, md5(g::text) || repeat('x', 2000) as pad from generate_series(1, ${rows}) g`,
    );
  } finally {
    await client.end();
  }
  return database;
}

export async function rowCounts(url: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const counts: Record<string, number> = {};
    for (const table of SEED_TABLES) {
      const { rows } = await client.query(
        `select count(*)::int as n from ${table}`,
      );
      counts[table] = rows[0].n;
    }
    return counts;
  } finally {
    await client.end();
  }
}

/** Polls the API until the run reaches a terminal status. */
export async function waitForRun(
  server: Parameters<typeof request>[0],
  id: string,
  timeoutMs = 120_000,
): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(server).get(`/api/db-backups/runs/${id}`);
    if (res.status !== 200) {
      throw new Error(`GET /runs/${id} answered ${res.status}: ${res.text}`);
    }
    if (TERMINAL_RUN_STATUSES.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) {
      throw new Error(
        `run ${id} still ${res.body.status} after ${timeoutMs} ms`,
      );
    }
    await new Promise(r => setTimeout(r, 250));
  }
}
