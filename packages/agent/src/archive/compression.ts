import { AgentError } from '../cli/errors';

/** How pg_dump compresses the custom-format archive. */
export interface Compression {
  method: 'zstd' | 'lz4' | 'gzip' | 'none';
  level?: number;
}

const LEVELS: Record<Compression['method'], [number, number]> = {
  zstd: [1, 22],
  lz4: [1, 12],
  gzip: [1, 9],
  none: [0, 0],
};

/** Parses `zstd[:N]`, `lz4[:N]`, `gzip[:N]` or `none`. */
export function parseCompression(spec: string): Compression {
  const [method, level, ...rest] = spec.trim().toLowerCase().split(':');
  if (
    !(method in LEVELS) ||
    rest.length ||
    (method === 'none' && level !== undefined)
  ) {
    throw new AgentError(
      'usage',
      `--compress "${spec}" is not zstd[:N], lz4[:N], gzip[:N] or none`,
    );
  }
  const m = method as Compression['method'];
  if (level === undefined) return { method: m };
  const n = Number(level);
  const [min, max] = LEVELS[m];
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AgentError(
      'usage',
      `--compress "${spec}": the ${m} level must be from ${min} to ${max}`,
    );
  }
  return { method: m, level: n };
}

/**
 * zstd:1 where pg_dump has zstd (16 and newer), gzip:1 otherwise. Chosen from the codec frontier of
 * `yarn bench` (docs/benchmarks.md): on the wide-text workload zstd:1 takes about 60% of zstd:3's
 * time for about 8% more bytes, still well under 0.6 of the uncompressed dump; lz4 is as fast but
 * more than twice as big; gzip:1, the fastest gzip, is what pre-16 pg_dump offers.
 */
export function defaultCompression(pgDumpMajor: number): Compression {
  return pgDumpMajor >= 16
    ? { method: 'zstd', level: 1 }
    : { method: 'gzip', level: 1 };
}

export function describeCompression(c: Compression): string {
  return c.level === undefined ? c.method : `${c.method}:${c.level}`;
}

/** pg_dump's argument for `c`; pg_dump before 16 knows only gzip levels. */
export function pgDumpCompressArg(c: Compression, pgDumpMajor: number): string {
  if (pgDumpMajor >= 16) return `--compress=${describeCompression(c)}`;
  if (c.method === 'none') return '--compress=0';
  if (c.method === 'gzip') return `--compress=${c.level ?? 6}`;
  throw new AgentError(
    'usage',
    `--compress ${c.method} needs pg_dump 16 or newer, and this server's client is pg_dump ${pgDumpMajor}: use gzip or none, or install a newer client`,
  );
}
