import os from 'node:os';
import { AgentError } from '../cli/errors';

// Where each object of one backup lives in a store, and the only place that spells it:
//
//   <namespace>/<name>/<yyyy>/<mm>/<dd>/<runId>.dump            the archive (custom format), or
//   <namespace>/<name>/<yyyy>/<mm>/<dd>/<runId>.dump/<file>     each file of a directory-format one
//   <namespace>/<name>/<yyyy>/<mm>/<dd>/<runId>.globals.sql     the cluster's roles (optional)
//   <namespace>/<name>/<yyyy>/<mm>/<dd>/<runId>.manifest.json   the commit marker, written last
//
// One folder per entity and day (UTC), so a person can find a backup by date in any store browser.
// restore, verify and prune are given the dump's URL and find the rest beside it.

/** The objects of one backup, as keys (or URLs: the same suffixes apply). */
export interface ArtifactKeys {
  dump: string;
  manifest: string;
  globals: string;
  /** one file of a directory-format dump, below the dump's key */
  file(name: string): string;
}

const DUMP = '.dump';
/** A namespace or name of a catalog entity, as far as a key needs it: no slash, nothing to quote. */
const ENTITY_PART = /^[a-zA-Z0-9._-]+$/;

function keysOf(base: string): ArtifactKeys {
  return {
    dump: `${base}${DUMP}`,
    manifest: `${base}.manifest.json`,
    globals: `${base}.globals.sql`,
    file: name => `${base}${DUMP}/${name}`,
  };
}

/** The keys of a new backup of `entity` (`<namespace>/<name>`), made at `now`. */
export function newArtifactKeys(
  entity: string,
  runId: string,
  now: Date,
): ArtifactKeys {
  const [namespace, name, ...rest] = entity.split('/');
  if (
    !namespace ||
    !name ||
    rest.length ||
    !ENTITY_PART.test(namespace) ||
    !ENTITY_PART.test(name)
  ) {
    throw new AgentError(
      'usage',
      `--entity "${entity}" is not <namespace>/<name>`,
    );
  }
  if (!/^[a-zA-Z0-9-]+$/.test(runId)) {
    throw new AgentError(
      'usage',
      `--run-id "${runId}" may hold only letters, digits and dashes`,
    );
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return keysOf(
    `${namespace}/${name}/${now.getUTCFullYear()}/${pad(
      now.getUTCMonth() + 1,
    )}/${pad(now.getUTCDate())}/${runId}`,
  );
}

/** libpq's user when none is set: the operating system's. */
function osUser(env: NodeJS.ProcessEnv) {
  try {
    return os.userInfo().username;
  } catch {
    return env.USER ?? ''; // a container's uid may have no name
  }
}

/**
 * dump's entity when --entity is not given: `default/<database name>`, the database being dumped,
 * found as libpq finds it (PGDATABASE, which a --source-url or service has set by now, else the
 * user's name), as someone using the agent alone would expect.
 */
export function defaultEntity(env: NodeJS.ProcessEnv): string {
  const database = env.PGDATABASE || env.PGUSER || osUser(env);
  if (!ENTITY_PART.test(database)) {
    throw new AgentError(
      'usage',
      `without --entity the backup is named default/<database>, and the database name "${database}" cannot be an entity's name (letters, digits, ".", "_", "-"): give --entity <namespace>/<name>`,
    );
  }
  return `default/${database}`;
}

/** The keys (or URLs) beside a dump's key or URL; anything but a `.dump` is a usage error. */
export function artifactKeysOf(dump: string): ArtifactKeys {
  if (!dump.endsWith(DUMP)) {
    throw new AgentError(
      'usage',
      `--from "${dump}" must be the URL of a .dump`,
    );
  }
  return keysOf(dump.slice(0, -DUMP.length));
}

/** pg_dump's directory format writes flat names like toc.dat or 3456.dat.zst: never a path. */
export function isArchiveFileName(name: string) {
  return /^[a-zA-Z0-9_][a-zA-Z0-9._-]*$/.test(name);
}
