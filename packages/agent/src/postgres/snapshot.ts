import { Client, QueryResult } from 'pg';
import { connect, serverInfoOf, ServerInfo } from './connection';

export interface DumpSizes {
  /** user tables, partitions counted in their parent */
  tables: number;
  databaseBytes: number;
}

/**
 * A repeatable-read transaction whose snapshot pg_dump shares (`--snapshot`), so the row counts
 * recorded in the manifest describe exactly the data in the dump.
 */
export class DumpSnapshot {
  private constructor(
    private readonly client: Client,
    readonly id: string,
    /** the server's version, read on the same connection */
    readonly server: ServerInfo,
  ) {}

  static async open(): Promise<DumpSnapshot> {
    const client = await connect();
    try {
      const server = await serverInfoOf(client);
      await client.query(
        'begin transaction isolation level repeatable read, read only',
      );
      const { rows } = await client.query('select pg_export_snapshot() as id');
      return new DumpSnapshot(client, rows[0].id, server);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  }

  /** How many user tables there are, and how big the database is, for progress. */
  async sizes(): Promise<DumpSizes> {
    const { rows } = await this.client.query(`
      select (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where c.relkind in ('r', 'p') and not c.relispartition
                and n.nspname not in ('pg_catalog', 'information_schema')
                and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%') as tables,
             pg_database_size(current_database())::bigint as bytes`);
    return { tables: rows[0].tables, databaseBytes: Number(rows[0].bytes) };
  }

  /** Rows per user table, keyed by quoted schema.table. */
  async rowCounts(): Promise<Record<string, number>> {
    return countRows(this.client);
  }

  async close() {
    await this.client.query('commit').catch(() => {});
    await this.client.end().catch(() => {});
  }
}

/** Tables counted per query: few round trips, and few locks held at a time. */
const COUNT_BATCH = 200;

/** Rows per user table of the database `client` is connected to; call it inside a transaction. */
export async function countRows(
  client: Client,
): Promise<Record<string, number>> {
  const { rows: tables } = await client.query(`
    select format('%I.%I', n.nspname, c.relname) as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p')
      and n.nspname not in ('pg_catalog', 'information_schema')
      and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
      and not c.relispartition
    order by 1`);
  const counts: Record<string, number> = {};
  const names: string[] = tables.map(t => t.name);
  for (let i = 0; i < names.length; i += COUNT_BATCH) {
    // Rolling back to a savepoint releases the batch's locks at once: holding one per table until the
    // end would run a database with thousands of tables out of lock slots next to pg_dump's own.
    await client.query('savepoint backlot_count');
    // Plain SQL only: counting through query_to_xml/xpath() needs a server built with libxml,
    // which PostgreSQL's default build is not. One count statement per table, sent together as
    // one simple query: one round trip, and each statement is planned on its own (a UNION ALL of
    // 200 branches took twice as long to plan as the counting on 5,000 small tables). The names
    // come from format('%I.%I'), so they are quoted identifiers already.
    const batch = names.slice(i, i + COUNT_BATCH);
    const answered = (await client.query(
      batch.map(name => `select count(*) as n from ${name}`).join(';\n'),
    )) as unknown as QueryResult | QueryResult[];
    await client.query('rollback to savepoint backlot_count');
    const results = Array.isArray(answered) ? answered : [answered];
    batch.forEach((name, k) => {
      counts[name] = Number(results[k].rows[0].n);
    });
  }
  return counts;
}
