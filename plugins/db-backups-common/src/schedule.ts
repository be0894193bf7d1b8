import { CronExpressionParser } from 'cron-parser';

const MACROS = [
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@hourly',
];

/** A validated backup schedule: 5-field cron (or a macro) evaluated in an IANA time zone. */
export interface BackupSchedule {
  cron: string;
  timezone: string;
}

/** Returns a message naming what is wrong with the time zone, or undefined when it is valid. */
export function timezoneProblem(timezone: string): string | undefined {
  const message = `"${timezone}" is not an IANA time zone (examples: UTC, Europe/Berlin, America/New_York)`;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
    }).resolvedOptions();
    return resolved.timeZone ? undefined : message;
  } catch {
    return `"${timezone}" is not an IANA time zone (examples: UTC, Europe/Berlin, America/New_York)`;
  }
}

/** Returns a message naming what is wrong with the cron expression, or undefined when it is valid. */
export function cronProblem(cron: string): string | undefined {
  const trimmed = cron.trim();
  if (MACROS.includes(trimmed)) {
    return undefined;
  }
  const fields = trimmed.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    return `"${cron}" has ${fields.length} fields; use 5 (minute hour day-of-month month day-of-week), e.g. "0 3 * * *", or @daily/@hourly`;
  }
  try {
    CronExpressionParser.parse(trimmed, { strict: false });
    return undefined;
  } catch (error) {
    return `"${cron}" is not a valid cron expression: ${
      (error as Error).message
    }`;
  }
}

/** The first due time strictly after `after`, in the schedule's time zone. */
export function nextDueTime(schedule: BackupSchedule, after: Date): Date {
  return CronExpressionParser.parse(schedule.cron.trim(), {
    currentDate: after,
    tz: schedule.timezone,
  })
    .next()
    .toDate();
}
