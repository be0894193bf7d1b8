import { describeErrors, errorKind, summarizeErrors } from './restoreErrors';

const line = (message: string) =>
  `pg_restore: error: could not execute query: ERROR:  ${message}`;

describe('pg_restore errors by kind', () => {
  it('takes the names out of a message, so one root cause is one kind', () => {
    expect(errorKind(line('function public.f(integer) does not exist'))).toBe(
      'function … does not exist',
    );
    expect(
      errorKind(line('incompatible library "/usr/lib/x.so": version mismatch')),
    ).toBe('incompatible library "…": version mismatch');
    expect(errorKind(line('compression method lz4 not supported'))).toBe(
      'compression method lz4 not supported',
    );
    expect(errorKind(line('relation "public.t" does not exist'))).toBe(
      'relation "…" does not exist',
    );
  });

  it('puts the most frequent kind first, with the total and a first example of each', () => {
    const lines = [
      ...Array.from({ length: 23 }, (_, i) =>
        line(`incompatible library "/lib/l${i}.so": version mismatch`),
      ),
      ...Array.from({ length: 5 }, () =>
        line('compression method lz4 not supported'),
      ),
      ...Array.from({ length: 56 }, (_, i) =>
        line(`function public.f${i}(integer) does not exist`),
      ),
    ];
    const summary = summarizeErrors(lines);
    expect(summary.total).toBe(84);
    expect(summary.kinds.map(k => [k.kind, k.count])).toEqual([
      ['function … does not exist', 56],
      ['incompatible library "…": version mismatch', 23],
      ['compression method lz4 not supported', 5],
    ]);
    expect(summary.kinds[1].example).toBe(lines[0]);
    const described = describeErrors(summary);
    expect(described).toMatch(
      /^84 error\(s\): 56 × function … does not exist \(first: .*f0\(integer\).*\); 23 × incompatible library "…": version mismatch \(first: .*l0\.so.*\); 5 × compression method lz4 not supported/,
    );
  });

  it('names how many kinds it leaves out', () => {
    const lines = ['a', 'b', 'c', 'd', 'e', 'f'].map(n =>
      line(`unique error ${n}`),
    );
    expect(describeErrors(summarizeErrors(lines), 4)).toMatch(
      /; and 2 other kind\(s\), all in the log$/,
    );
  });
});
