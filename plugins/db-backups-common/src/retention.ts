/** How many successful backups of a database to keep. */
export type RetentionPolicy =
  | { type: 'keep'; count: number }
  | { type: 'age'; days: number }
  | { type: 'gfs'; daily: number; weekly: number; monthly: number };

/** Parses `keep=N`, `<N>d` or `daily=N,weekly=N,monthly=N` (any subset); undefined when it is none of them. */
export function parseRetention(spec: string): RetentionPolicy | undefined {
  const s = spec.trim();
  let m = /^keep=(\d+)$/.exec(s);
  if (m)
    return Number(m[1]) >= 1
      ? { type: 'keep', count: Number(m[1]) }
      : undefined;
  m = /^(\d+)d$/.exec(s);
  if (m)
    return Number(m[1]) >= 1 ? { type: 'age', days: Number(m[1]) } : undefined;
  const gfs = { type: 'gfs' as const, daily: 0, weekly: 0, monthly: 0 };
  const parts = s.split(',');
  for (const part of parts) {
    const p = /^(daily|weekly|monthly)=(\d+)$/.exec(part.trim());
    if (!p) return undefined;
    gfs[p[1] as 'daily' | 'weekly' | 'monthly'] = Number(p[2]);
  }
  return gfs.daily + gfs.weekly + gfs.monthly >= 1 ? gfs : undefined;
}

const DAY = 86_400_000;

/** The UTC day, ISO week (Monday start) and month a time falls in. */
function buckets(t: number) {
  const d = new Date(t);
  const day = Math.floor(t / DAY);
  const week = Math.floor((day + 3) / 7); // 1970-01-01 was a Thursday
  return { day, week, month: d.getUTCFullYear() * 12 + d.getUTCMonth() };
}

/**
 * The backups a policy lets go. Only successful backups count, and the newest one is always kept,
 * whatever the policy says: retention can never leave a database without a good backup.
 */
export function backupsToPrune(
  backups: { id: string; finishedAt: number }[],
  policy: RetentionPolicy,
  now: number,
): string[] {
  const newestFirst = [...backups].sort((a, b) => b.finishedAt - a.finishedAt);
  const keep = new Set<string>(newestFirst.slice(0, 1).map(b => b.id));
  if (policy.type === 'keep') {
    newestFirst.slice(0, policy.count).forEach(b => keep.add(b.id));
  } else if (policy.type === 'age') {
    newestFirst
      .filter(b => now - b.finishedAt <= policy.days * DAY)
      .forEach(b => keep.add(b.id));
  } else {
    // grandfather-father-son: the newest backup of each of the last N days, weeks and months
    for (const unit of ['day', 'week', 'month'] as const) {
      const limit = {
        day: policy.daily,
        week: policy.weekly,
        month: policy.monthly,
      }[unit];
      const seen = new Set<number>();
      for (const b of newestFirst) {
        const bucket = buckets(b.finishedAt)[unit];
        if (seen.has(bucket)) continue;
        if (seen.size >= limit) break;
        seen.add(bucket);
        keep.add(b.id);
      }
    }
  }
  return newestFirst.filter(b => !keep.has(b.id)).map(b => b.id);
}
