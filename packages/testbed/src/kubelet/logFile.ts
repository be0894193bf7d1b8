/**
 * Container logs in the CRI log format that real runtimes write (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`), so
 * the timestamps live in the file itself and the log API's query (timestamps, sinceTime, tailLines) is answered the
 * way a real kubelet answers it. F ends a line; P is a part without its newline (a line's end that never came, or a
 * piece of a very long line).
 */
import fs from 'node:fs';

/** Longer lines are split into P entries, as CRI runtimes do (16 KiB). */
const MAX_ENTRY = 16 * 1024;

export type Stream = 'stdout' | 'stderr';

export interface LogEntry {
  /** RFC3339 with nanoseconds, UTC */
  time: string;
  stream: Stream;
  /** false for P: no newline after `text` */
  full: boolean;
  text: string;
}

// Date has milliseconds; the monotonic clock fills in the digits below them so entries keep their order.
const epochNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
let lastNs = 0n;

export function timestampNow(): string {
  let ns = epochNs + process.hrtime.bigint();
  if (ns <= lastNs) ns = lastNs + 1n;
  lastNs = ns;
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/** Milliseconds since the epoch of an entry's timestamp (Date.parse takes at most milliseconds). */
export function entryMillis(time: string): number {
  return Date.parse(`${time.slice(0, 23)}Z`);
}

export function formatEntry(e: LogEntry): string {
  return `${e.time} ${e.stream} ${e.full ? 'F' : 'P'} ${e.text}\n`;
}

export function parseEntry(line: string): LogEntry | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1], stream: m[2] as Stream, full: m[3] === 'F', text: m[4] };
}

/** The entries of a chunk of the file (whole lines only; the caller keeps any unfinished tail). */
export function parseEntries(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    const e = line ? parseEntry(line) : undefined;
    if (e) out.push(e);
  }
  return out;
}

/** Appends a process's output to its log file, an entry per line, with the time each line arrived. */
export class LogWriter {
  private readonly fd: number;
  private readonly pending: Record<Stream, string> = { stdout: '', stderr: '' };

  constructor(file: string) {
    this.fd = fs.openSync(file, 'a', 0o644);
  }

  write(stream: Stream, chunk: Buffer | string): void {
    let text = this.pending[stream] + chunk.toString();
    const lines: LogEntry[] = [];
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n')) {
      lines.push(...this.split(stream, text.slice(0, nl), true));
      text = text.slice(nl + 1);
    }
    while (text.length > MAX_ENTRY) {
      lines.push(this.entry(stream, text.slice(0, MAX_ENTRY), false));
      text = text.slice(MAX_ENTRY);
    }
    this.pending[stream] = text;
    if (lines.length) fs.writeSync(this.fd, lines.map(formatEntry).join(''));
  }

  /** After the process exited: what came without a final newline is written as a part. */
  close(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream])
        fs.writeSync(
          this.fd,
          formatEntry(this.entry(stream, this.pending[stream], false)),
        );
      this.pending[stream] = '';
    }
    fs.closeSync(this.fd);
  }

  private split(stream: Stream, line: string, full: boolean): LogEntry[] {
    const out: LogEntry[] = [];
    let rest = line;
    while (rest.length > MAX_ENTRY) {
      out.push(this.entry(stream, rest.slice(0, MAX_ENTRY), false));
      rest = rest.slice(MAX_ENTRY);
    }
    out.push(this.entry(stream, rest, full));
    return out;
  }

  private entry(stream: Stream, text: string, full: boolean): LogEntry {
    return { time: timestampNow(), stream, full, text };
  }
}

/** The last `maxLines` lines, at most `maxBytes` of them: the FallbackToLogsOnError termination message. */
export function logTail(
  file: string,
  maxLines: number,
  maxBytes: number,
): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  const out = parseEntries(text)
    .map(e => e.text + (e.full ? '\n' : ''))
    .join('')
    .split('\n');
  if (out[out.length - 1] === '') out.pop();
  const tail = out.slice(-maxLines).join('\n');
  const buf = Buffer.from(tail);
  return buf.length > maxBytes
    ? buf.subarray(buf.length - maxBytes).toString()
    : tail;
}
