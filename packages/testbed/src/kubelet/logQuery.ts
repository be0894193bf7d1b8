/**
 * The kubelet's `/containerLogs` query (what `pods/{name}/log` passes on): parsed and validated like the kubelet's
 * PodLogOptions, and applied to a container's log entries in its order: tail first, then since, then timestamps and
 * the byte limit on the output.
 */
import { entryMillis, LogEntry } from './logFile';

export interface LogQuery {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  /** ms since the epoch; entries before it are left out */
  since?: number;
  tailLines?: number;
  limitBytes?: number;
}

export class LogQueryError extends Error {}

// apimachinery's query conversion (Convert_Slice_string_To_bool): absent, "", "0" and "false" are false, all else true
function bool(value: string | null): boolean {
  return !(
    value === null ||
    value === '' ||
    value === '0' ||
    value.toLowerCase() === 'false'
  );
}

function int(
  name: string,
  value: string | null,
  min: number,
): number | undefined {
  if (value === null) return undefined;
  if (!/^-?\d+$/.test(value))
    throw new LogQueryError(
      `${name}: invalid integer ${JSON.stringify(value)}`,
    );
  const n = Number(value);
  if (n < min)
    throw new LogQueryError(
      `${name}: must be ${min === 0 ? 'non-negative' : 'positive'}`,
    );
  return n;
}

export function parseLogQuery(
  params: URLSearchParams,
  now = Date.now(),
): LogQuery {
  const q: LogQuery = {
    follow: bool(params.get('follow')),
    previous: bool(params.get('previous')),
    timestamps: bool(params.get('timestamps')),
    tailLines: int('tailLines', params.get('tailLines'), 0),
    limitBytes: int('limitBytes', params.get('limitBytes'), 1),
  };
  const sinceSeconds = int('sinceSeconds', params.get('sinceSeconds'), 1);
  const sinceTime = params.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime !== null)
    throw new LogQueryError(
      'at most one of sinceTime or sinceSeconds may be specified',
    );
  if (sinceSeconds !== undefined) q.since = now - sinceSeconds * 1000;
  if (sinceTime !== null) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t) || !/^\d{4}-\d\d-\d\dT/.test(sinceTime))
      throw new LogQueryError(
        `sinceTime: invalid RFC3339 time ${JSON.stringify(sinceTime)}`,
      );
    q.since = t;
  }
  return q;
}

/** The entries to send of those already written, tail and since applied. */
export function selectEntries(entries: LogEntry[], q: LogQuery): LogEntry[] {
  let out =
    q.tailLines === undefined
      ? entries
      : entries.slice(Math.max(0, entries.length - q.tailLines));
  if (q.since !== undefined)
    out = out.filter(e => entryMillis(e.time) >= q.since!);
  return out;
}

/** How an entry goes out: its text, its newline if it had one, its timestamp first when asked for. */
export function renderEntry(e: LogEntry, q: LogQuery): string {
  return `${q.timestamps ? `${e.time} ` : ''}${e.text}${e.full ? '\n' : ''}`;
}

/** Counts down the bytes limitBytes allows; `take` returns what may still be sent of a chunk. */
export class ByteBudget {
  private left: number;
  constructor(limit: number | undefined) {
    this.left = limit ?? Infinity;
  }
  get exhausted(): boolean {
    return this.left <= 0;
  }
  take(chunk: string): Buffer {
    const buf = Buffer.from(chunk);
    const part = buf.length <= this.left ? buf : buf.subarray(0, this.left);
    this.left -= part.length;
    return part;
  }
}
