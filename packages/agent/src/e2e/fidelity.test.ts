import { testbedUp, TestbedInfo } from '@backlot/testbed';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT_CODES } from '../contract';
import { AgentRun, runAgent } from '../__testUtils__/runAgent';
import { testbedAccess } from '../__testUtils__/testbedAccess';
import {
  createFidelityDatabase,
  dropDatabase,
  dropFidelityRoles,
  fidelityRoles,
  ServerConnection,
} from '../__testUtils__/fidelity';

// Issue 11, point 6: a round trip through the agent (dump, restore --create --roles) must reproduce the
// database exactly: the plain-SQL dumps of source and restored database, made by one and the same pg_dump,
// are equal once the database's name is made the same.

jest.setTimeout(300_000);

/** The newest client dumps both sides of every case, so that the dumps differ only where the databases do. */
const COMPARE_WITH_CLIENT = '18';

/**
 * Makes dumps of two databases comparable, and nothing more.
 * - `restoredName` -> `sourceName`: the restore has a name of its own.
 * - `\restrict <key>` / `\unrestrict <key>`: recent pg_dump releases print a random key per dump.
 */
function normalize(dump: string, restoredName: string, sourceName: string) {
  return dump
    .replace(new RegExp(`\\b${restoredName}\\b`, 'g'), sourceName)
    .replace(/^\\(un)?restrict \S+$/gm, '\\$1restrict <key>');
}

/**
 * PostgreSQL's own behaviour, not the agent's (a plain `pg_dump -Fc | pg_restore --create` round trip shows
 * it too, on every major): a child table gets a column its parent gains after the child exists (`alter
 * table p add column z` puts z after the child's own b: a, b, z), but pg_dump writes the child as
 * `CREATE TABLE c (b integer) INHERITS (p)`, which makes the inherited columns come first (a, z, b). The
 * restored child has its columns in another order and its COPY lists them so. Only the COPY block of that
 * one fixture table is brought to one column order (by name, the rows' fields along), which keeps every
 * value compared; its CREATE TABLE (the same text on both sides) is compared as it is.
 */
function sortInheritedCopyColumns(dump: string) {
  return dump.replace(
    /^(COPY fidelity\.c \()([^)]*)(\) FROM stdin;\n)([\s\S]*?)^\\\.$/m,
    (_all, head: string, columns: string, tail: string, rows: string) => {
      const names = columns.split(', ');
      const order = names
        .map((name, i) => ({ name, i }))
        .sort((x, y) => x.name.localeCompare(y.name))
        .map(x => x.i);
      const sortedRows = rows
        .split('\n')
        .filter(Boolean)
        .map(row => {
          const fields = row.split('\t');
          return `${order.map(i => fields[i]).join('\t')}\n`;
        })
        .join('');
      return `${head}${order
        .map(i => names[i])
        .join(', ')}${tail}${sortedRows}\\.`;
    },
  );
}

/**
 * Only across majors, and each one PostgreSQL's own (the same pg_dump against two server majors, or two
 * majors storing the same definition differently), never the agent's:
 * - `-- Dumped from database version …`: the two servers' versions;
 * - views over a single table: from 16 on, a view's range table no longer holds the OLD/NEW
 *   placeholder entries, so pg_get_viewdef() no longer qualifies columns with the table's name when only one
 *   table is queried (14: `SELECT people.id … WHERE (people.age >= 18)`, 16+: `SELECT id … WHERE (age >= 18)`).
 *   The qualification is dropped from the older side's single-table views.
 */
function normalizeAcrossMajors(dump: string, major: number, other: number) {
  let out = dump.replace(
    /^-- Dumped from database version .*$/m,
    '-- Dumped from database version <server version>',
  );
  if (major < 16 && other >= 16) {
    out = out.replace(
      /^CREATE (?:MATERIALIZED )?VIEW [^\n]* AS\n[\s\S]*?;$/gm,
      view => {
        const from = view.match(/\bFROM [\w"]+\.([\w"]+)/g) ?? [];
        if (from.length !== 1 || /\bJOIN\b/.test(view)) return view;
        const table = /\.([\w"]+)$/.exec(from[0])![1];
        const [create, ...body] = view.split('\n');
        return [
          create,
          ...body.map(line =>
            line.startsWith('   FROM ')
              ? line
              : line.replace(new RegExp(`\\b${table}\\.`, 'g'), ''),
          ),
        ].join('\n');
      },
    );
  }
  return out;
}

/** `diff -u` of two files; '' when equal. */
function lineDiff(a: string, b: string, labelA: string, labelB: string) {
  const run = spawnSync(
    'diff',
    ['-u', '--label', labelA, '--label', labelB, a, b],
    {
      encoding: 'latin1',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (run.status === 0) return '';
  if (run.status === 1) return run.stdout;
  throw new Error(`diff failed (${run.status}): ${run.stderr}`);
}

describe('a round trip through backlot-agent reproduces the database exactly', () => {
  let testbed: TestbedInfo;
  const server = (major: number): ServerConnection => ({
    host: testbed.host,
    port: testbed.ports[String(major)],
    user: testbed.user,
    password: testbed.password,
  });
  const access = () => testbedAccess(testbed);
  const urlOf = (major: number, database: string) =>
    access().urlOf(major, database);
  /** pg clients for the agent: the testbed's only, no database credentials. */
  const toolsEnv = () => access().toolsEnv();
  /** a database's libpq environment (with the pg clients, which pg_dump ignores) */
  const pgEnv = (major: number, database: string) =>
    access().env(major, database);
  function expectSucceeded(run: AgentRun, what: string) {
    if (run.code !== EXIT_CODES.ok || run.result?.error) {
      throw new Error(
        `${what} failed (exit ${run.code}): ${JSON.stringify(
          run.result?.error,
        )}\n${run.stderr}`,
      );
    }
  }

  /** `pg_dump -Fp --create` of one database into `file`, by the comparison client. */
  async function plainDump(major: number, database: string, file: string) {
    const pgDump = path.join(testbed.pgBin[COMPARE_WITH_CLIENT], 'pg_dump');
    const child = spawn(
      pgDump,
      ['--format=plain', '--create', `--file=${file}`, '--no-password'],
      {
        env: {
          PATH: process.env.PATH!,
          HOME: process.env.HOME ?? '/tmp',
          ...pgEnv(major, database),
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', d => (stderr += d));
    const code = await new Promise<number | null>(resolve =>
      child.on('close', resolve),
    );
    if (code !== 0)
      throw new Error(`pg_dump of ${database} failed (${code}): ${stderr}`);
    // latin1: every byte one character, whatever the database's encoding (LATIN1 here, UTF8 there)
    return fs.readFileSync(file, 'latin1');
  }

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [14, 16, 18] });
  });

  it.each([
    [14, 14],
    [16, 16],
    [18, 18],
    [14, 18],
  ])(
    'PostgreSQL %i to %i: the restored database dumps exactly as the source',
    async (from, to) => {
      const source = `fidelity_src_${from}_${to}`;
      const target = `fidelity_dst_${from}_${to}`;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-fidelity-'));

      // Across majors the target server starts without the fixture's roles: --roles must bring them.
      if (from !== to) await dropFidelityRoles(server(to));
      await createFidelityDatabase(server(from), source);
      await dropDatabase(server(to), target);

      const dump = await runAgent(
        [
          'dump',
          '--to',
          pathToFileURL(path.join(dir, 'store')).href,
          '--entity',
          'default/fidelity',
          '--run-id',
          `fidelity-${from}-${to}`,
          '--events',
        ],
        pgEnv(from, source),
      );
      expectSucceeded(dump, 'backlot-agent dump');

      const restored = await runAgent(
        [
          'restore',
          '--from',
          dump.result.location,
          '--target-url',
          urlOf(to, target),
          '--create',
          '--roles',
          '--events',
        ],
        toolsEnv(),
      );
      expectSucceeded(restored, 'backlot-agent restore');

      // the source's dump holds no other name, but its \restrict keys are normalized alike
      let sourceDump = sortInheritedCopyColumns(
        normalize(
          await plainDump(from, source, path.join(dir, 'source.raw.sql')),
          target,
          source,
        ),
      );
      let restoredDump = sortInheritedCopyColumns(
        normalize(
          await plainDump(to, target, path.join(dir, 'restored.raw.sql')),
          target,
          source,
        ),
      );
      if (from !== to) {
        sourceDump = normalizeAcrossMajors(sourceDump, from, to);
        restoredDump = normalizeAcrossMajors(restoredDump, to, from);
      }
      const sourceFile = path.join(dir, 'source.sql');
      const restoredFile = path.join(dir, 'restored.sql');
      fs.writeFileSync(sourceFile, sourceDump, 'latin1');
      fs.writeFileSync(restoredFile, restoredDump, 'latin1');
      const diff = lineDiff(
        sourceFile,
        restoredFile,
        `source ${source} (PostgreSQL ${from})`,
        `restored ${target} (PostgreSQL ${to})`,
      );
      if (diff !== '') {
        throw new Error(
          `the restored database differs from its source (pg_dump ${COMPARE_WITH_CLIENT} -Fp --create of each, ` +
            `normalized: ${sourceFile}, ${restoredFile}; shown byte for byte as Latin-1, so UTF-8's é reads Ã©):\n${diff}`,
        );
      }
      expect(diff).toBe('');

      // pg_dump leaves roles out: the fixture's roles must be on the target as in the source
      expect(await fidelityRoles(server(to))).toEqual(
        await fidelityRoles(server(from)),
      );
      fs.rmSync(dir, { recursive: true, force: true });
    },
  );
});
