import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogWriter, logTail, parseEntries } from './logFile';
import {
  ByteBudget,
  LogQueryError,
  parseLogQuery,
  renderEntry,
  selectEntries,
} from './logQuery';

describe('the log file (CRI format)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelet-log-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps each line with its stream and arrival time, joins lines split across writes, marks an unfinished end as a part', () => {
    const file = path.join(dir, 'log');
    const w = new LogWriter(file);
    w.write('stdout', 'one\ntw');
    w.write('stderr', 'err\n');
    w.write('stdout', 'o\nno newline');
    w.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F one\n/,
    );
    const entries = parseEntries(text);
    expect(entries.map(e => [e.stream, e.full, e.text])).toEqual([
      ['stdout', true, 'one'],
      ['stderr', true, 'err'],
      ['stdout', true, 'two'],
      ['stdout', false, 'no newline'],
    ]);
    const times = entries.map(e => e.time);
    expect([...times].sort()).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
    expect(logTail(file, 2, 2048)).toBe('two\nno newline');
    expect(logTail(file, 80, 5)).toBe('wline');
  });
});

describe('the log query', () => {
  const q = (s: string, now = 1_000_000_000) =>
    parseLogQuery(new URLSearchParams(s), now);

  it('parses what the API server passes on', () => {
    expect(
      q('follow=true&timestamps=1&tailLines=3&limitBytes=10&sinceSeconds=5'),
    ).toEqual({
      follow: true,
      previous: false,
      timestamps: true,
      tailLines: 3,
      limitBytes: 10,
      since: 1_000_000_000 - 5000,
    });
    expect(q('follow=false&previous=0').follow).toBe(false);
    expect(q('sinceTime=2026-12-01T10:00:00Z').since).toBe(
      Date.parse('2026-12-01T10:00:00Z'),
    );
  });

  it.each([
    'tailLines=-1',
    'tailLines=x',
    'limitBytes=0',
    'sinceSeconds=0',
    'sinceTime=yesterday',
    'sinceSeconds=5&sinceTime=2026-12-01T10:00:00Z',
  ])('refuses %s', s => {
    expect(() => q(s)).toThrow(LogQueryError);
  });

  const entries = [
    { time: '2026-12-01T10:00:00.100000000Z', text: 'a' },
    { time: '2026-12-01T10:00:01.100000000Z', text: 'b' },
    { time: '2026-12-01T10:00:02.100000000Z', text: 'c' },
  ].map(e => ({ ...e, stream: 'stdout' as const, full: true }));

  it('applies tail, then since, then renders with or without timestamps', () => {
    const base = q('');
    expect(
      selectEntries(entries, { ...base, tailLines: 2 }).map(e => e.text),
    ).toEqual(['b', 'c']);
    expect(selectEntries(entries, { ...base, tailLines: 0 })).toEqual([]);
    expect(
      selectEntries(entries, {
        ...base,
        since: Date.parse('2026-12-01T10:00:01Z'),
      }).map(e => e.text),
    ).toEqual(['b', 'c']);
    expect(
      selectEntries(entries, {
        ...base,
        tailLines: 1,
        since: Date.parse('2026-12-01T10:00:00Z'),
      }).map(e => e.text),
    ).toEqual(['c']);
    expect(renderEntry(entries[0], base)).toBe('a\n');
    expect(renderEntry(entries[0], { ...base, timestamps: true })).toBe(
      '2026-12-01T10:00:00.100000000Z a\n',
    );
    expect(renderEntry({ ...entries[0], full: false }, base)).toBe('a');
  });

  it('limitBytes cuts the output, mid-line if need be', () => {
    const budget = new ByteBudget(5);
    expect(budget.take('abc\n').toString()).toBe('abc\n');
    expect(budget.take('def\n').toString()).toBe('d');
    expect(budget.exhausted).toBe(true);
    expect(new ByteBudget(undefined).take('x'.repeat(100)).length).toBe(100);
  });
});
