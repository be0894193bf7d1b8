/**
 * There is no mount namespace: a container's volumeMounts and its termination message file are emulated by
 * rewriting, in its env values, command, args and workingDir, every path at or under a mount path to the folder
 * that stands for it on the host. Only whole path components match, so `/data` is rewritten in `/data`, `/data/x`
 * and `--dir=/data/x` but not in `/database` or `/x/data`; the longest mount path wins.
 */
export interface Mount {
  /** the path the container asked for */
  containerPath: string;
  /** where it really is */
  hostPath: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type Rewriter = (value: string) => string;

export function pathRewriter(mounts: Mount[]): Rewriter {
  const byPath = new Map<string, string>();
  for (const m of mounts) {
    const p = m.containerPath.replace(/\/+$/, '');
    // a mount at / would swallow every path; no real volume is mounted there
    if (p) byPath.set(p, m.hostPath.replace(/\/+$/, ''));
  }
  if (byPath.size === 0) return value => value;
  const alternatives = [...byPath.keys()]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp);
  const pattern = new RegExp(
    `(?<![\\w.\\-/~])(${alternatives.join('|')})(?=$|[^\\w.\\-])`,
    'g',
  );
  return value => value.replace(pattern, p => byPath.get(p)!);
}
