import { formatAge, formatBytes, formatDuration, formatTime } from './format';

describe('formatBytes', () => {
  it('shows a dash for an unknown size', () => {
    expect(formatBytes(null)).toBe('—');
  });

  it('keeps whole bytes below one kilobyte', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1)).toBe('1 B');
    expect(formatBytes(999)).toBe('999 B');
  });

  it('uses decimal (SI) units with one decimal below ten', () => {
    expect(formatBytes(1000)).toBe('1.0 kB');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(433044)).toBe('433 kB');
    expect(formatBytes(12_345_678)).toBe('12 MB');
    expect(formatBytes(2_500_000_000)).toBe('2.5 GB');
  });

  it('moves to the next unit when rounding reaches it', () => {
    expect(formatBytes(9_960)).toBe('10 kB');
    expect(formatBytes(999_600)).toBe('1.0 MB');
    expect(formatBytes(999_999_999)).toBe('1.0 GB');
  });

  it('stops at terabytes', () => {
    expect(formatBytes(4_200_000_000_000)).toBe('4.2 TB');
    expect(formatBytes(5_000_000_000_000_000)).toBe('5000 TB');
  });
});

describe('formatDuration', () => {
  const start = '2024-05-01T10:00:00.000Z';
  const plus = (ms: number) => new Date(Date.parse(start) + ms).toISOString();

  it('shows a dash while either end is missing', () => {
    expect(formatDuration(null, null)).toBe('—');
    expect(formatDuration(start, null)).toBe('—');
    expect(formatDuration(null, start)).toBe('—');
  });

  it('counts seconds below a minute', () => {
    expect(formatDuration(start, start)).toBe('0 s');
    expect(formatDuration(start, plus(1_400))).toBe('1 s');
    expect(formatDuration(start, plus(59_000))).toBe('59 s');
  });

  it('never shows a negative duration', () => {
    expect(formatDuration(start, plus(-5_000))).toBe('0 s');
  });

  it('shows minutes and seconds below an hour', () => {
    expect(formatDuration(start, plus(60_000))).toBe('1 min 0 s');
    expect(formatDuration(start, plus(59_600))).toBe('1 min 0 s');
    expect(formatDuration(start, plus(3_599_000))).toBe('59 min 59 s');
  });

  it('shows hours and minutes from an hour on', () => {
    expect(formatDuration(start, plus(3_600_000))).toBe('1 h 0 min');
    expect(formatDuration(start, plus(26 * 3_600_000 + 5 * 60_000))).toBe(
      '26 h 5 min',
    );
  });
});

describe('formatAge', () => {
  const now = Date.parse('2024-05-01T12:00:00.000Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();

  it('says never without a timestamp', () => {
    expect(formatAge(null, now)).toBe('never');
  });

  it('says just now below a minute, and for timestamps slightly in the future', () => {
    expect(formatAge(ago(0), now)).toBe('just now');
    expect(formatAge(ago(59_000), now)).toBe('just now');
    expect(formatAge(ago(-30_000), now)).toBe('just now');
  });

  it('uses singular and plural minutes', () => {
    expect(formatAge(ago(60_000), now)).toBe('1 minute ago');
    expect(formatAge(ago(2 * 60_000), now)).toBe('2 minutes ago');
    expect(formatAge(ago(59 * 60_000), now)).toBe('59 minutes ago');
  });

  it('rounds up to an hour at 59.5 minutes', () => {
    expect(formatAge(ago(59.5 * 60_000), now)).toBe('1 hour ago');
  });

  it('uses hours below two days, then days', () => {
    expect(formatAge(ago(3 * 3_600_000), now)).toBe('3 hours ago');
    expect(formatAge(ago(47 * 3_600_000), now)).toBe('47 hours ago');
    expect(formatAge(ago(48 * 3_600_000), now)).toBe('2 days ago');
    expect(formatAge(ago(10 * 24 * 3_600_000), now)).toBe('10 days ago');
  });

  it('defaults to the current time', () => {
    expect(formatAge(new Date(Date.now() - 5 * 60_000).toISOString())).toBe(
      '5 minutes ago',
    );
  });
});

describe('formatTime', () => {
  it('shows a dash without a timestamp', () => {
    expect(formatTime(null)).toBe('—');
  });

  it('formats in the given time zone', () => {
    const iso = '2024-05-01T10:30:00.000Z';
    expect(formatTime(iso, 'Europe/Berlin')).toContain('12:30');
    expect(formatTime(iso, 'UTC')).toContain('10:30');
    expect(formatTime(iso, 'UTC')).toContain('1 May 2024');
  });
});
