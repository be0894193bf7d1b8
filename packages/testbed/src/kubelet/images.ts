/**
 * The process kubelet's image table: what a process "sees" for each image reference, since nothing is pulled and
 * there is no root filesystem. An image is a PATH prefix (bin dirs on the host), an entrypoint and cmd (as the
 * image's ENTRYPOINT and CMD: a container's command replaces the first, its args the second), env, and the user it
 * runs as without runAsUser. The host's own /usr/bin and /bin stay on PATH after the image's dirs, so `sh`, `id`,
 * `cat` are there as they are in the real (Debian-based) images. A reference not in this table fails as an image
 * that does not exist in the registry (ErrImagePull, then ImagePullBackOff).
 *
 * The agent images must stay in step with deploy/docker/agent.Dockerfile: the real image carries
 * postgresql-client-14..18 and sets BACKLOT_PG_BIN_DIRS to their bin dirs the same way; change both together.
 */
export const AGENT_VERSION = '0.1.0';
/** The majors the real agent image carries clients of. */
export const AGENT_CLIENT_MAJORS = [14, 15, 16, 17, 18];
/** A test-only agent image that lacks the newer clients, to exercise "no pg_dump for PostgreSQL 17". */
export const AGENT_OLD_CLIENT_MAJORS = [14, 15, 16];
/** Docker's default PATH, which images based on Debian inherit. */
export const BASE_PATH =
  '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Image {
  /** bin dirs put before BASE_PATH */
  path: string[];
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  /** the USER of the image (0 when it has no USER line) */
  user: number;
  /** uid -> primary gid for the users the image's /etc/passwd has: the gid when runAsGroup is not set */
  passwd: Record<number, number>;
}

/** What the host provides for images: bin dirs readable by any uid (see imageStore.ts). */
export interface ImageHost {
  /** bin dir of the testbed's pg client of that major, if it has one */
  clientBin(major: number): string | undefined;
  /** a dir holding `node` */
  nodeBin(): string;
  /** packages/agent/bin/backlot-agent */
  agentEntrypoint(): string;
}

export type ImageLookup = { image: Image } | { error: string };

/** `docker.io/library/postgres:16` and `library/postgres:16` are `postgres:16`, as a registry would resolve them. */
export function normalizeImage(ref: string): string {
  let name = ref.trim();
  name = name.replace(
    /^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//,
    '',
  );
  name = name.replace(/^library\//, '');
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  return lastPart.includes(':') || lastPart.includes('@')
    ? name
    : `${name}:latest`;
}

function agent(host: ImageHost, majors: number[]): ImageLookup {
  // newest first, as the Dockerfile lists them
  const dirs = [...majors]
    .reverse()
    .map(m => host.clientBin(m))
    .filter((d): d is string => !!d);
  return {
    image: {
      path: [host.nodeBin()],
      entrypoint: [host.agentEntrypoint()],
      cmd: [],
      env: {
        BACKLOT_PG_BIN_DIRS: dirs.join(':'),
        // the host's /usr/lib/postgresql is not the image's: only the dirs above are "in" the image
        BACKLOT_PG_SYSTEM_BINS: '0',
      },
      // the Dockerfile's `USER 10001:10001`
      user: 10001,
      passwd: { 10001: 10001 },
    },
  };
}

export function resolveImage(ref: string, host: ImageHost): ImageLookup {
  const name = normalizeImage(ref);
  const pg = /^postgres:(\d+)$/.exec(name);
  if (pg) {
    const major = Number(pg[1]);
    if (major < 14 || major > 18)
      return {
        error: `the process kubelet emulates postgres:14 to postgres:18 only`,
      };
    const bin = host.clientBin(major);
    if (!bin) {
      // the testbed has no client of 14 or 16 on purpose (see clients.ts): nothing can stand for this image
      return {
        error: `the testbed has no PostgreSQL ${major} client programs, so the process kubelet cannot emulate postgres:${major}`,
      };
    }
    // the official image: no USER line (root), user postgres = 999:999, and pg_dump and friends on PATH
    return {
      image: {
        path: [bin],
        entrypoint: [],
        cmd: [],
        env: {},
        user: 0,
        passwd: { 999: 999 },
      },
    };
  }
  switch (name) {
    case `backlot/agent:${AGENT_VERSION}`:
    case 'backlot/agent:dev':
      return agent(host, AGENT_CLIENT_MAJORS);
    case 'backlot/agent:pg14-16':
      return agent(host, AGENT_OLD_CLIENT_MAJORS);
    case 'backlot/testbed-shell:1':
      // for tests: a shell as entrypoint, so `args: ['-c', 'script']` runs a script
      return {
        image: {
          path: [],
          entrypoint: ['/bin/sh'],
          cmd: [],
          env: {},
          user: 0,
          passwd: {},
        },
      };
    default:
      return {
        error: `${name}: not found in the process kubelet's image table (kubelet/images.ts)`,
      };
  }
}
