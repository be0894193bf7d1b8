import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { AgentError } from '../cli/errors';
import { exitOf, lastLines, runPgTool } from '../postgres/pgTool';

/**
 * Where pg_restore reads an archive from: a local file (or directory-format folder), or a stream
 * opened anew for each read. pg_restore finds the table of contents at the start of a custom
 * archive and stops reading once it has printed what it was asked for, so reading the TOC of a
 * stored dump costs its head, not its size.
 */
export type ArchiveInput = { file: string } | { open(): Promise<Readable> };

/** One line of `pg_restore --list`: `<id>; <catalog oid> <oid> <desc> <namespace> <tag> <owner>`. */
export interface TocEntry {
  id: number;
  /** DATABASE, DATABASE PROPERTIES, EXTENSION, FUNCTION, TABLE, COMMENT, ACL, ... */
  desc: string;
  /** what follows the desc: namespace (or -), tag and owner, as pg_restore prints them */
  rest: string;
  line: string;
}

// Descs that contain a space come first, so "TABLE DATA" is not read as "TABLE".
const MULTIWORD_DESCS = [
  'DATABASE PROPERTIES',
  'TABLE DATA',
  'MATERIALIZED VIEW DATA',
  'MATERIALIZED VIEW',
  'DEFAULT ACL',
  'SECURITY LABEL',
  'SEQUENCE SET',
  'SEQUENCE OWNED BY',
  'FK CONSTRAINT',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER',
  'TEXT SEARCH TEMPLATE',
  'FOREIGN TABLE',
  'FOREIGN DATA WRAPPER',
  'FOREIGN SERVER',
  'USER MAPPING',
  'PROCEDURAL LANGUAGE',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'EVENT TRIGGER',
  'LARGE OBJECT',
  'BLOB METADATA',
  'ACCESS METHOD',
  'TABLE ATTACH',
  'INDEX ATTACH',
  'CHECK CONSTRAINT',
  'PUBLICATION TABLE',
  'PUBLICATION TABLES IN SCHEMA',
  'ROW SECURITY',
  'DUMMY TYPE',
  'SHELL TYPE',
  'STATISTICS DATA',
];

export function parseTocLine(line: string): TocEntry | undefined {
  const match = /^(\d+); \d+ \d+ (.*)$/.exec(line);
  if (!match) return undefined;
  const body = match[2];
  const desc =
    MULTIWORD_DESCS.find(d => body.startsWith(`${d} `)) ?? body.split(' ')[0];
  return {
    id: Number(match[1]),
    desc,
    rest: body.slice(desc.length + 1),
    line,
  };
}

/** Runs pg_restore on the archive and returns what it printed on stdout, as bytes. */
async function pgRestoreOutput(
  pgRestore: string,
  args: string[],
  input: ArchiveInput,
  signal?: AbortSignal,
): Promise<Buffer> {
  const { exit, stdout, stderrTail } = await runPgTool(
    pgRestore,
    'file' in input ? [...args, input.file] : args,
    {
      env: process.env,
      signal,
      input: 'open' in input ? () => input.open() : undefined,
    },
  );
  if (exit.code !== 0) {
    throw new AgentError(
      'verification',
      `pg_restore cannot read the archive (${exitOf(exit)}): ${
        lastLines(stderrTail, 2) || 'no message'
      }`,
    );
  }
  return stdout;
}

/** The archive's table of contents, including the database's own entries (`--create`). */
export async function readToc(
  pgRestore: string,
  input: ArchiveInput,
  signal?: AbortSignal,
): Promise<TocEntry[]> {
  // only the ids and descs are read, which are ASCII whatever the database's encoding
  const text = (
    await pgRestoreOutput(pgRestore, ['--list', '--create'], input, signal)
  ).toString('latin1');
  return text
    .split('\n')
    .map(parseTocLine)
    .filter((e): e is TocEntry => e !== undefined);
}

/** The SQL pg_restore would run for `entries` (schema only: never table data). */
export async function entriesSql(
  pgRestore: string,
  input: ArchiveInput,
  entries: TocEntry[],
  signal?: AbortSignal,
): Promise<string> {
  if (!entries.length) return '';
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'backlot-toc-'));
  try {
    const list = path.join(dir, 'entries.list');
    await fsp.writeFile(list, `${entries.map(e => e.line).join('\n')}\n`);
    return decodeScript(
      await pgRestoreOutput(
        pgRestore,
        ['--schema-only', '--create', `--use-list=${list}`, '--file=-'],
        input,
        signal,
      ),
    );
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Node decoders of PostgreSQL's server encodings (WHATWG labels; LATIN1 is Node's own 'latin1'). */
const DECODERS: Record<string, string> = {
  UTF8: 'utf-8',
  LATIN2: 'iso-8859-2',
  LATIN3: 'iso-8859-3',
  LATIN4: 'iso-8859-4',
  LATIN5: 'windows-1254',
  LATIN6: 'iso-8859-10',
  LATIN7: 'iso-8859-13',
  LATIN8: 'iso-8859-14',
  LATIN9: 'iso-8859-15',
  LATIN10: 'iso-8859-16',
  ISO_8859_5: 'iso-8859-5',
  ISO_8859_6: 'iso-8859-6',
  ISO_8859_7: 'iso-8859-7',
  ISO_8859_8: 'iso-8859-8',
  WIN866: 'ibm866',
  WIN874: 'windows-874',
  WIN1250: 'windows-1250',
  WIN1251: 'windows-1251',
  WIN1252: 'windows-1252',
  WIN1253: 'windows-1253',
  WIN1254: 'windows-1254',
  WIN1255: 'windows-1255',
  WIN1256: 'windows-1256',
  WIN1257: 'windows-1257',
  WIN1258: 'windows-1258',
  KOI8R: 'koi8-r',
  KOI8U: 'koi8-u',
  EUC_JP: 'euc-jp',
  EUC_KR: 'euc-kr',
  SJIS: 'shift_jis',
  BIG5: 'big5',
  GBK: 'gbk',
  GB18030: 'gb18030',
};

/**
 * A script pg_restore printed, as text. It is in the archive's encoding (its `SET client_encoding`
 * line says which), so a comment in a LATIN1 database keeps its "é" when it is sent again.
 */
export function decodeScript(bytes: Buffer): string {
  const encoding =
    /^SET client_encoding = '([A-Z0-9_]+)';$/m.exec(
      bytes.toString('latin1'),
    )?.[1] ?? 'UTF8';
  if (encoding === 'LATIN1') return bytes.toString('latin1');
  const label = DECODERS[encoding];
  if (label) return new TextDecoder(label, { fatal: true }).decode(bytes);
  if (bytes.every(b => b < 0x80)) return bytes.toString('ascii');
  throw new AgentError(
    'restore',
    `the archive's database-level statements are in ${encoding}, which the agent cannot read: restore with pg_restore --create by hand`,
  );
}
