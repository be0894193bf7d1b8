/**
 * Where a followed pod log stands, so that a stream that was cut resumes without losing or
 * doubling a line. The API server takes `sinceTime` to the second only, so a resumed stream
 * repeats the lines of that second: they are told apart by their (nanosecond) timestamp and text.
 */
export class LogCursor {
  private last?: string;
  private readonly seenAtLast = new Set<string>();

  /** Splits a `timestamps=true` line and says whether it is new; old ones are to be skipped. */
  accept(line: string): { text: string; fresh: boolean } {
    const space = line.indexOf(' ');
    const stamp = normalizeTimestamp(line.slice(0, space));
    const text = line.slice(space + 1);
    if (space < 0 || !stamp) return { text: line, fresh: true };
    if (this.last && stamp < this.last) return { text, fresh: false };
    if (stamp === this.last) {
      if (this.seenAtLast.has(text)) return { text, fresh: false };
    } else {
      this.last = stamp;
      this.seenAtLast.clear();
    }
    this.seenAtLast.add(text);
    return { text, fresh: true };
  }

  /** Where to resume: the second of the last line read (absent: from the start). */
  sinceTime(): string | undefined {
    return this.last ? `${this.last.slice(0, 19)}Z` : undefined;
  }
}

/** RFC3339 with the fraction padded to nanoseconds, so that timestamps compare as strings. */
export function normalizeTimestamp(stamp: string): string | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(
    stamp,
  );
  if (!match) return undefined;
  return `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}Z`;
}
