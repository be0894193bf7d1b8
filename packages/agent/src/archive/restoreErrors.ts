import type { ErrorSummary } from '../contract';

export type { ErrorSummary } from '../contract';

/**
 * The message of a pg_restore error line without the names in it, so that "function a() does not
 * exist" and "function b(int) does not exist" are one kind: a root cause that breaks 20 objects
 * shows as one line with a count, not 20 lines that hide the 21st.
 */
export function errorKind(line: string): string {
  const message = line
    .replace(/^pg_restore: (?:error: )?(?:could not execute query: )?/, '')
    .replace(/^ERROR:\s+/, '');
  return message
    .replace(/"(?:[^"]|"")*"/g, '"…"')
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/[\p{L}\p{N}_$."]+\([^()]*\)/gu, '…')
    .replace(/\b\d+\b/g, 'N')
    .trim();
}

export function summarizeErrors(lines: string[]): ErrorSummary {
  const kinds = new Map<string, { count: number; example: string }>();
  for (const line of lines) {
    const kind = errorKind(line);
    const seen = kinds.get(kind);
    if (seen) seen.count++;
    else kinds.set(kind, { count: 1, example: line });
  }
  return {
    total: lines.length,
    kinds: [...kinds]
      .map(([kind, { count, example }]) => ({ kind, count, example }))
      .sort((a, b) => b.count - a.count),
  };
}

/** "84 errors: 56 × function … does not exist (e.g. …); 23 × …": the total and the biggest kinds. */
export function describeErrors(summary: ErrorSummary, kindsShown = 4): string {
  const shown = summary.kinds
    .slice(0, kindsShown)
    .map(
      k =>
        `${k.count} × ${k.kind}${
          k.count > 1 || k.kind !== k.example ? ` (first: ${k.example})` : ''
        }`,
    );
  const rest = summary.kinds.length - shown.length;
  return `${summary.total} error(s): ${shown.join('; ')}${
    rest > 0 ? `; and ${rest} other kind(s), all in the log` : ''
  }`;
}
