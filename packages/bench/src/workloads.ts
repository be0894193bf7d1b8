import { Client } from 'pg';

/** Bump when a generator changes: databases made by an older one are rebuilt. */
const GENERATOR_VERSION = 1;

export interface Workload {
  id: 'W1' | 'W2' | 'W3';
  database: string;
  description: string;
  /** Creates the data into an empty database (idempotence is handled by `ensureWorkload`). */
  generate(client: Client, log: (line: string) => void): Promise<void>;
}

const GiB = 1024 ** 3;

/** pgbench's schema and initial data (as `pgbench -i -s 80` with server-side generation), plus a history. */
const W1: Workload = {
  id: 'W1',
  database: 'backlot_bench_w1',
  description:
    'pgbench-like: pgbench_accounts/branches/tellers at scale 80 (8M accounts) and 2M history rows',
  async generate(client) {
    const scale = 80;
    await client.query(`
      create table pgbench_branches (bid int primary key, bbalance int, filler char(88));
      create table pgbench_tellers (tid int primary key, bid int, tbalance int, filler char(84));
      create table pgbench_accounts (aid int, bid int, abalance int, filler char(84));
      create table pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));
      insert into pgbench_branches select b, 0, '' from generate_series(1, ${scale}) b;
      insert into pgbench_tellers select t, (t - 1) / 10 + 1, 0, '' from generate_series(1, ${
        scale * 10
      }) t;
      insert into pgbench_accounts select a, (a - 1) / 100000 + 1, 0, '' from generate_series(1, ${
        scale * 100000
      }) a;
      alter table pgbench_accounts add primary key (aid);
      insert into pgbench_history
        select 1 + (random() * ${scale * 10 - 1})::int, 1 + (random() * ${
      scale - 1
    })::int,
               1 + (random() * ${
                 scale * 100000 - 1
               })::int, (random() * 10000 - 5000)::int,
               timestamp '2026-01-01' + random() * interval '300 days', ''
        from generate_series(1, 2000000);
      update pgbench_accounts set abalance = (random() * 100000 - 50000)::int where aid % 7 = 0;`);
    await client.query('vacuum analyze'); // alone: vacuum cannot run in a multi-statement transaction
  },
};

/**
 * Wide rows: a title, an ~8 KB body of random words (TOASTed out of line) and a jsonb document,
 * until the database holds 1.1 GiB. Words come from a 5,000-word random vocabulary, so the text
 * compresses like prose rather than like noise or like repeats.
 */
const W2: Workload = {
  id: 'W2',
  database: 'backlot_bench_w2',
  description:
    'wide rows: random-word text of ~8 KB (TOAST) and jsonb documents, 1.1 GiB',
  async generate(client, log) {
    await client.query(`
      create table bench_vocab as
        select array_agg(substr(translate(md5(g::text), '0123456789', 'aeiouyrstn'), 1, 2 + g % 9)) as words
        from generate_series(1, 5000) g;
      create function bench_text(n int) returns text language plpgsql volatile as $$
      declare
        words text[] := (select words from bench_vocab);
        parts text[] := array_fill(''::text, array[n]);
      begin
        for i in 1..n loop
          parts[i] := words[1 + floor(random() * 5000)::int];
        end loop;
        return array_to_string(parts, ' ');
      end $$;
      create table documents (id bigint primary key, title text, body text, attrs jsonb);`);
    let next = 1;
    const batch = 20_000;
    for (;;) {
      const { rows } = await client.query(
        'select pg_database_size(current_database())::bigint as bytes',
      );
      const bytes = Number(rows[0].bytes);
      log(`W2: ${(bytes / GiB).toFixed(2)} GiB`);
      if (bytes >= 1.1 * GiB) break;
      await client.query(
        `insert into documents
         select g, bench_text(6), bench_text(1200),
                jsonb_build_object('id', gen_random_uuid(), 'score', round((random() * 1000)::numeric, 2),
                  'checksum', md5(g::text), 'tags', jsonb_build_array(bench_text(1), bench_text(1)),
                  'created', now() - random() * interval '900 days', 'note', bench_text(60))
         from generate_series($1::bigint, $2::bigint) g`,
        [next, next + batch - 1],
      );
      next += batch;
    }
    await client.query('drop function bench_text(int); drop table bench_vocab');
    await client.query('vacuum analyze');
  },
};

/** Many small tables: what costs pg_dump per object (catalog queries, locks, TOC entries). */
const W3: Workload = {
  id: 'W3',
  database: 'backlot_bench_w3',
  description: '5,000 small tables of 20 rows each, in 10 schemas',
  async generate(client) {
    await client.query(
      "do $$ begin for s in 0..9 loop execute format('create schema app_%s', s); end loop; end $$",
    );
    // one transaction per 250 tables: a single one would need a lock per table and run out of them
    for (let first = 1; first <= 5000; first += 250) {
      await client.query(`
        do $$
        begin
          for t in ${first}..${first + 249} loop
            execute format('create table app_%s.t_%s (id int primary key, name text, amount numeric(12,2), created timestamptz)', t % 10, t);
            execute format('insert into app_%s.t_%s select g, md5((g * %s)::text), random() * 1000, now() - g * interval ''1 hour'' from generate_series(1, 20) g', t % 10, t, t);
          end loop;
        end $$;`);
    }
  },
};

export const WORKLOADS: Workload[] = [W1, W2, W3];

/**
 * Makes `workload`'s database unless it already holds this generator version's data: generating
 * 2 GB takes minutes, measuring it should not.
 */
export async function ensureWorkload(
  admin: Client,
  connect: (database: string) => Promise<Client>,
  workload: Workload,
  log: (line: string) => void,
): Promise<void> {
  const exists = await admin.query(
    'select 1 from pg_database where datname = $1',
    [workload.database],
  );
  if (exists.rows.length) {
    const client = await connect(workload.database);
    try {
      const done = await client
        .query('select version from bench_meta')
        .catch(() => ({ rows: [] as { version: number }[] }));
      if (done.rows[0]?.version === GENERATOR_VERSION) return;
    } finally {
      await client.end();
    }
    await admin.query(`drop database ${workload.database} with (force)`);
  }
  log(
    `${workload.id}: generating ${workload.description} (once; kept for later runs)`,
  );
  await admin.query(`create database ${workload.database}`);
  const client = await connect(workload.database);
  try {
    await workload.generate(client, log);
    // written last: a half-made workload is rebuilt next time
    await client.query(
      `create table bench_meta (version int); insert into bench_meta values (${GENERATOR_VERSION});`,
    );
  } finally {
    await client.end();
  }
}
