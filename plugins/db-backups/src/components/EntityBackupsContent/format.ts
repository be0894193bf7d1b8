import { RunErrorsIgnored } from '@backlot/plugin-db-backups-common';

/** Human formats for sizes, durations and ages shown in the Backups tab. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  // One decimal below ten (except for bytes), whole numbers above. Decide the unit on the
  // rounded value, so 999 600 B reads "1.0 MB" rather than "1000 kB".
  const show = (v: number, u: number) =>
    u > 0 && Number(v.toFixed(1)) < 10 ? v.toFixed(1) : String(Math.round(v));
  let value = bytes;
  let unit = 0;
  while (Number(show(value, unit)) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${show(value, unit)} ${units[unit]}`;
}

export function formatDuration(
  start: string | null,
  end: string | null,
): string {
  if (!start || !end) return '—';
  const seconds = Math.max(
    0,
    Math.round((Date.parse(end) - Date.parse(start)) / 1000),
  );
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatAge(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.round(hours / 24);
  return `${days} days ago`;
}

export function formatTime(iso: string | null, timeZone?: string): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-GB', {
    timeZone,
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

/** "ignored 3 error(s): 2 × role "…" does not exist, 1 × …": what a run succeeded past, biggest kind first. */
export function describeErrorsIgnored(errors: RunErrorsIgnored): string {
  return `ignored ${errors.total} error(s): ${errors.kinds
    .map(k => `${k.count} × ${k.kind}`)
    .join(', ')}`;
}
