import { LogCursor, normalizeTimestamp } from './LogCursor';

describe('LogCursor', () => {
  it('passes every line of one stream on once', () => {
    const cursor = new LogCursor();
    const lines = [
      '2026-12-01T10:00:00.100Z {"a":1}',
      '2026-12-01T10:00:00.200Z {"a":2}',
      '2026-12-01T10:00:01.5Z {"a":3}',
    ];
    expect(lines.map(l => cursor.accept(l))).toEqual([
      { text: '{"a":1}', fresh: true },
      { text: '{"a":2}', fresh: true },
      { text: '{"a":3}', fresh: true },
    ]);
    expect(cursor.sinceTime()).toBe('2026-12-01T10:00:01Z');
  });

  it('skips what a resumed stream repeats from the last second, and nothing after it', () => {
    const cursor = new LogCursor();
    cursor.accept('2026-12-01T10:00:05.100000000Z one');
    cursor.accept('2026-12-01T10:00:05.300000000Z two');
    // cut here; resumed with sinceTime=10:00:05Z, the server sends the whole second again
    const resumed = [
      '2026-12-01T10:00:05.100000000Z one',
      '2026-12-01T10:00:05.300000000Z two',
      '2026-12-01T10:00:05.300000000Z three', // same instant, another line: new
      '2026-12-01T10:00:06.000000001Z four',
    ].map(l => cursor.accept(l));
    expect(resumed.filter(r => r.fresh).map(r => r.text)).toEqual([
      'three',
      'four',
    ]);
  });

  it('compares fractions of different lengths by their value', () => {
    expect(
      normalizeTimestamp('2026-12-01T10:00:05.5Z')! >
        normalizeTimestamp('2026-12-01T10:00:05.123456789Z')!,
    ).toBe(true);
    expect(normalizeTimestamp('not a time')).toBeUndefined();
  });

  it('passes a line without a timestamp on as it is', () => {
    expect(new LogCursor().accept('plain')).toEqual({
      text: 'plain',
      fresh: true,
    });
  });
});
