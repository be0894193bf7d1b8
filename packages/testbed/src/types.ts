export interface TestbedS3 {
  /** e.g. http://127.0.0.1:55490; clients must use path-style requests (an IP has no bucket subdomains). */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: true;
}

import type { TestbedTls } from './tls';

/**
 * The self-built server: PostgreSQL 17 from Debian's source with PostgreSQL's default configure options, what a
 * user who ran `./configure --with-lz4 && make install` has. Unlike the embedded servers it has no libxml (`xpath()`
 * fails), no openssl (TLS off: connect with sslmode disable/allow/prefer) and no contrib extensions (plpgsql only),
 * but it has lz4 (none of the embedded servers has): the source of archives with lz4-compressed columns.
 */
export interface TestbedPlainServer {
  major: 17;
  /** server_version, e.g. 17.11 */
  version: string;
  /** libpq URL of its `postgres` database, the password percent-encoded */
  url: string;
  port: number;
}

export interface TestbedInfo {
  /** server major -> libpq URL of its `postgres` database, the password percent-encoded */
  postgres: Record<string, string>;
  /** client major -> directory holding pg_dump, pg_dumpall, pg_restore and psql of that major */
  pgBin: Record<string, string>;
  s3?: TestbedS3;
  /** the superuser's password, raw (it is deliberately full of characters that need quoting) */
  password: string;
  user: string;
  host: string;
  /** server major -> port, `plain` -> port when the plain server runs, `s3` -> port when S3 runs */
  ports: Record<string, number>;
  /** the private CA, certificates and roles of the servers' TLS */
  tls: TestbedTls;
  /** present when requested (`plain: true`) */
  plain?: TestbedPlainServer;
  /** demo database name -> URL, present after seeding */
  demo?: Record<string, string>;
  /** present when requested (`k8s: true`): the Kubernetes control plane and its one node, the process kubelet */
  kubernetes?: TestbedKubernetes;
}

/**
 * A real control plane on loopback: etcd, kube-apiserver (RBAC, PodSecurity admission), kube-controller-manager (the
 * Job, TTL-after-finished, garbage-collector, service-account, namespace and node-lifecycle controllers),
 * kube-scheduler, and one node, `backlot-node`: the process kubelet, which runs pods as local processes
 * (see src/kubelet/README.md for what it emulates).
 */
export interface TestbedKubernetes {
  /** an admin kubeconfig (client certificate in system:masters) */
  kubeconfig: string;
  /** e.g. https://127.0.0.1:55460 */
  server: string;
  /** what the API server's /version says, e.g. v1.34.4 */
  version: string;
  /** the Jobs' namespace, labelled `pod-security.kubernetes.io/enforce: restricted` */
  namespace: string;
}

export interface TestbedUpOptions {
  /** server majors to run (default: all of 14-18) */
  pg?: number[];
  s3?: boolean;
  /** also run the plain (self-built, default configure plus lz4) PostgreSQL 17; built from source the first time (~2 min) */
  plain?: boolean;
  seed?: 'demo';
  /** client majors to provide (default 15, 17, 18; [] for none) */
  clients?: number[];
  /** also run the Kubernetes control plane; built from Go modules the first time (see the README for how long) */
  k8s?: boolean;
}
