import { backupsToPrune, parseRetention } from './retention';

const DAY = 86_400_000;
const now = Date.parse('2026-06-30T12:00:00Z');
const at = (daysAgo: number, id = `b${daysAgo}`) => ({
  id,
  finishedAt: now - daysAgo * DAY,
});

describe('retention', () => {
  it('parses the three forms and rejects the rest', () => {
    expect(parseRetention('keep=10')).toEqual({ type: 'keep', count: 10 });
    expect(parseRetention('30d')).toEqual({ type: 'age', days: 30 });
    expect(parseRetention('daily=7,weekly=4,monthly=6')).toEqual({
      type: 'gfs',
      daily: 7,
      weekly: 4,
      monthly: 6,
    });
    expect(parseRetention('weekly=2')).toEqual({
      type: 'gfs',
      daily: 0,
      weekly: 2,
      monthly: 0,
    });
    for (const bad of [
      'keep=0',
      '0d',
      'daily=x',
      'yearly=1',
      '',
      'keep=3,30d',
    ]) {
      expect(parseRetention(bad)).toBeUndefined();
    }
  });

  it('keep=N keeps the N newest', () => {
    const backups = [at(0), at(1), at(2), at(3)];
    expect(
      backupsToPrune(backups, { type: 'keep', count: 2 }, now).sort(),
    ).toEqual(['b2', 'b3']);
  });

  it('Nd keeps what is younger than N days, and always the newest', () => {
    expect(
      backupsToPrune([at(1), at(5), at(40)], { type: 'age', days: 30 }, now),
    ).toEqual(['b40']);
    // everything is old: the newest stays anyway
    expect(
      backupsToPrune([at(50), at(60)], { type: 'age', days: 30 }, now),
    ).toEqual(['b60']);
  });

  it('GFS keeps one backup per day, week and month', () => {
    const backups = [
      at(0, 'today-late'),
      { id: 'today-early', finishedAt: now - 3600_000 },
      at(1),
      at(2),
      at(9),
      at(16),
      at(45),
      at(80),
    ];
    const pruned = backupsToPrune(
      backups,
      { type: 'gfs', daily: 2, weekly: 2, monthly: 2 },
      now,
    );
    // days: today-late, b1; weeks: this week (today-late) and the week before; months: June and May
    expect(pruned).toContain('today-early');
    expect(pruned).not.toContain('today-late');
    expect(pruned).not.toContain('b1');
    expect(pruned).toContain('b80');
  });

  it('never prunes the only backup', () => {
    expect(backupsToPrune([at(400)], { type: 'keep', count: 1 }, now)).toEqual(
      [],
    );
    expect(
      backupsToPrune(
        [at(400)],
        { type: 'gfs', daily: 0, weekly: 0, monthly: 1 },
        now,
      ),
    ).toEqual([]);
  });
});
