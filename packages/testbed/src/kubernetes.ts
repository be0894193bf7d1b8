/**
 * The testbed's Kubernetes control plane: etcd, kube-apiserver, kube-controller-manager and kube-scheduler, built
 * from the Go modules in ../k8s and ../etcd by scripts/build-k8s.sh (cached outside the checkout), run as detached
 * processes on 127.0.0.1 with a private CA. The one node is the process kubelet (kubelet/, started by up.ts after
 * this), which runs pods as local processes.
 * One file over 300 lines because the four components share one description (ports, certificates, kubeconfigs,
 * probes) and are started, probed and stopped in one order.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import {
  cacheDir,
  HOST,
  K8S_NAMESPACE,
  k8sDir,
  k8sPorts,
  PACKAGE_DIR,
} from './config';
import { log, run } from './exec';
import { newCa, openssl, signedCert } from './tls';
import { TestbedKubernetes } from './types';

/** The service network: the API server's own Service gets its first address (10.0.0.1). */
const SERVICE_CIDR = '10.0.0.0/24';
const SERVICE_IP = '10.0.0.1';
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/**
 * What kube-controller-manager runs: what Jobs need, and the node-lifecycle controller, which takes the
 * `node.kubernetes.io/not-ready` taint (put on every new Node by admission; NodeRestriction forbids a node to
 * change its own taints) off the process kubelet's Node once it is Ready, and marks it NotReady when its Lease
 * lapses. The taint-eviction controller is left out: nothing evicts pods from a node that stopped for a while.
 */
export const K8S_CONTROLLERS = [
  'node-lifecycle-controller',
  'job-controller',
  'ttl-after-finished-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'namespace-controller',
];

type Component =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler';
/** Start order; they stop in reverse. */
const COMPONENTS: Component[] = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
];

export function pkiDir(): string {
  return path.join(k8sDir(), 'pki');
}
function pidFile(c: Component): string {
  return path.join(k8sDir(), 'run', `${c}.pid`);
}
function logFile(c: Component): string {
  return path.join(k8sDir(), 'log', `${c}.log`);
}
/** The admin kubeconfig (system:masters). */
export function adminKubeconfig(): string {
  return path.join(k8sDir(), 'admin.kubeconfig');
}
function kubeconfigOf(user: 'controller-manager' | 'scheduler'): string {
  return path.join(k8sDir(), `${user}.kubeconfig`);
}
export function apiServerUrl(): string {
  return `https://${HOST}:${k8sPorts().apiserver}`;
}

/** The versions the Go modules pin (k8s/go.mod, etcd/go.mod): the one place they are written, read like build-k8s.sh does. */
export function pinnedVersions(): { kubernetes: string; etcd: string } {
  const pinned = (dir: string, mod: string) => {
    const text = fs.readFileSync(path.join(PACKAGE_DIR, dir, 'go.mod'), 'utf8');
    const m = new RegExp(
      `^require ${mod.replace(/\./g, '\\.')} (v\\S+)$`,
      'm',
    ).exec(text);
    if (!m) throw new Error(`${dir}/go.mod does not pin ${mod}`);
    return m[1];
  };
  return {
    kubernetes: pinned('k8s', 'k8s.io/kubernetes'),
    etcd: pinned('etcd', 'go.etcd.io/etcd/server/v3'),
  };
}

/** Runs build-k8s.sh (a no-op when the pinned versions are cached; a long build on every core when not). */
async function ensureBinaries(): Promise<string> {
  fs.mkdirSync(cacheDir(), { recursive: true });
  const res = await run(
    'bash',
    [path.join(PACKAGE_DIR, 'scripts', 'build-k8s.sh'), cacheDir()],
    { streamStderr: true },
  );
  return res.stdout.trim().split('\n').pop()!;
}

// ---------------------------------------------------------------------------------------------------------------
// certificates and kubeconfigs

async function ensurePki(): Promise<void> {
  const dir = pkiDir();
  if (fs.existsSync(path.join(dir, 'complete'))) return;
  log('kubernetes: making the CA, certificates and service-account keys');
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  await newCa(tmp, 'ca', 'Backlot testbed Kubernetes CA');
  const sans = [
    'IP:127.0.0.1',
    `IP:${SERVICE_IP}`,
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ].join(',');
  await signedCert(
    tmp,
    'apiserver',
    'kube-apiserver',
    `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\n`,
  );
  const client = 'extendedKeyUsage=clientAuth\n';
  // system:masters is the group RBAC's bootstrap policy makes cluster-admin; the other two names are the users its
  // bootstrap roles are bound to.
  await signedCert(
    tmp,
    'admin',
    'backlot-testbed-admin',
    client,
    'system:masters',
  );
  await signedCert(
    tmp,
    'controller-manager',
    'system:kube-controller-manager',
    client,
  );
  await signedCert(tmp, 'scheduler', 'system:kube-scheduler', client);
  // The key the controller-manager signs service-account tokens with, and the API server verifies them by.
  await openssl(
    [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      'sa.key',
    ],
    tmp,
  );
  await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], tmp);
  for (const f of fs.readdirSync(tmp))
    if (f.endsWith('.key')) fs.chmodSync(path.join(tmp, f), 0o600);
  fs.writeFileSync(path.join(tmp, 'complete'), '');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

/** A kubeconfig naming the files in pki/ (JSON, which is YAML too: every client reads it). */
export function writeKubeconfig(
  file: string,
  user: string,
  certName: string,
): void {
  const pki = pkiDir();
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'backlot-testbed',
        cluster: {
          server: apiServerUrl(),
          'certificate-authority': path.join(pki, 'ca.crt'),
        },
      },
    ],
    users: [
      {
        name: user,
        user: {
          'client-certificate': path.join(pki, `${certName}.crt`),
          'client-key': path.join(pki, `${certName}.key`),
        },
      },
    ],
    contexts: [
      {
        name: 'backlot-testbed',
        context: { cluster: 'backlot-testbed', user, namespace: K8S_NAMESPACE },
      },
    ],
    'current-context': 'backlot-testbed',
  };
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, {
    mode: 0o600,
  });
  fs.renameSync(tmp, file);
}

function writeKubeconfigs(): void {
  writeKubeconfig(adminKubeconfig(), 'backlot-testbed-admin', 'admin');
  writeKubeconfig(
    kubeconfigOf('controller-manager'),
    'system:kube-controller-manager',
    'controller-manager',
  );
  writeKubeconfig(
    kubeconfigOf('scheduler'),
    'system:kube-scheduler',
    'scheduler',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP probes and a minimal API client (the package's runtime needs no Kubernetes client library)

interface Reply {
  status: number;
  body: string;
}

function request(
  url: string,
  opts: {
    method?: string;
    body?: unknown;
    contentType?: string;
    /** present the admin client certificate and verify the server against the testbed CA */
    admin?: boolean;
    timeoutMs?: number;
  } = {},
): Promise<Reply> {
  const pki = pkiDir();
  const u = new URL(url);
  let tlsOpts: https.RequestOptions = {};
  if (u.protocol === 'https:' && opts.admin) {
    tlsOpts = {
      ca: fs.readFileSync(path.join(pki, 'ca.crt')),
      cert: fs.readFileSync(path.join(pki, 'admin.crt')),
      key: fs.readFileSync(path.join(pki, 'admin.key')),
    };
  } else if (u.protocol === 'https:') {
    // the controller-manager's and the scheduler's health ports serve a self-signed certificate
    tlsOpts = { rejectUnauthorized: false };
  }
  const send = (
    u.protocol === 'https:' ? https.request : http.request
  ) as typeof https.request;
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      {
        method: opts.method ?? 'GET',
        ...tlsOpts,
        headers: body
          ? { 'content-type': opts.contentType ?? 'application/json' }
          : {},
        timeout: opts.timeoutMs ?? 3000,
      },
      res => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', d => {
          data += d;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: data }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function answers(url: string, opts: { admin?: boolean } = {}) {
  try {
    return (await request(url, { ...opts, timeoutMs: 2000 })).status === 200;
  } catch {
    return false;
  }
}

function healthUrl(c: Component): string {
  const p = k8sPorts();
  switch (c) {
    case 'etcd':
      return `http://${HOST}:${p.etcd}/health`;
    case 'kube-apiserver':
      return `${apiServerUrl()}/readyz`;
    case 'kube-controller-manager':
      return `https://${HOST}:${p.controllerManager}/healthz`;
    default:
      return `https://${HOST}:${p.scheduler}/healthz`;
  }
}

function healthy(c: Component): Promise<boolean> {
  return answers(healthUrl(c), { admin: c === 'kube-apiserver' });
}

async function apiVersion(): Promise<string | undefined> {
  try {
    const res = await request(`${apiServerUrl()}/version`, { admin: true });
    return res.status === 200 ? JSON.parse(res.body).gitVersion : undefined;
  } catch {
    return undefined;
  }
}

/** The namespace exists with the restricted label, and its `default` service account (pods need it) is there. */
async function namespaceReady(): Promise<boolean> {
  try {
    const ns = await request(
      `${apiServerUrl()}/api/v1/namespaces/${K8S_NAMESPACE}`,
      {
        admin: true,
      },
    );
    if (ns.status !== 200) return false;
    const labels = JSON.parse(ns.body).metadata?.labels ?? {};
    if (labels['pod-security.kubernetes.io/enforce'] !== 'restricted')
      return false;
    const sa = await request(
      `${apiServerUrl()}/api/v1/namespaces/${K8S_NAMESPACE}/serviceaccounts/default`,
      { admin: true },
    );
    return sa.status === 200;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// processes

function readPid(c: Component): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile(c), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The program a live pid runs, if it is one of ours (guards against pid reuse); undefined otherwise. */
function programOf(c: Component, pid: number): string | undefined {
  try {
    const argv0 = fs
      .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')[0];
    return path.basename(argv0) === c ? argv0 : undefined;
  } catch {
    return undefined;
  }
}

function args(c: Component): string[] {
  const p = k8sPorts();
  const pki = pkiDir();
  const f = (name: string) => path.join(pki, name);
  switch (c) {
    case 'etcd': {
      const peer = `http://${HOST}:${p.etcdPeer}`;
      const client = `http://${HOST}:${p.etcd}`;
      return [
        '--name=testbed',
        `--data-dir=${path.join(k8sDir(), 'etcd')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=testbed=${peer}`,
        // the data is disposable: no fsync, the way the testbed's PostgreSQL servers run with fsync off
        '--unsafe-no-fsync',
        '--log-level=warn',
      ];
    }
    case 'kube-apiserver':
      return [
        `--etcd-servers=http://${HOST}:${p.etcd}`,
        `--bind-address=${HOST}`,
        `--secure-port=${p.apiserver}`,
        `--tls-cert-file=${f('apiserver.crt')}`,
        `--tls-private-key-file=${f('apiserver.key')}`,
        `--client-ca-file=${f('ca.crt')}`,
        '--authorization-mode=Node,RBAC',
        // PodSecurity is on by default too; named so that nobody wonders. NodeRestriction goes with the Node
        // authorizer, for the kubelet to come.
        '--enable-admission-plugins=NodeRestriction,PodSecurity',
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        `--service-account-key-file=${f('sa.pub')}`,
        `--service-account-signing-key-file=${f('sa.key')}`,
        // as kubeadm runs it: privileged pods are not refused by validation, so PodSecurity is what refuses them
        '--allow-privileged=true',
        '--kubelet-preferred-address-types=InternalIP',
        '--profiling=false',
      ];
    case 'kube-controller-manager':
      return [
        ...controlLoopArgs('controller-manager', p.controllerManager),
        `--controllers=${K8S_CONTROLLERS.join(',')}`,
        `--service-account-private-key-file=${f('sa.key')}`,
        `--root-ca-file=${f('ca.crt')}`,
        '--use-service-account-credentials=true',
      ];
    default:
      return controlLoopArgs('scheduler', p.scheduler);
  }
}

/** What the controller manager and the scheduler are both started with: their identity, port and no leader election. */
function controlLoopArgs(
  name: 'controller-manager' | 'scheduler',
  port: number,
): string[] {
  const kubeconfig = kubeconfigOf(name);
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    `--bind-address=${HOST}`,
    `--secure-port=${port}`,
    `--cert-dir=${path.join(k8sDir(), 'run', `${name}-certs`)}`,
    '--leader-elect=false',
    '--profiling=false',
  ];
}

function logTail(c: Component): string {
  try {
    return fs
      .readFileSync(logFile(c), 'utf8')
      .trim()
      .split('\n')
      .slice(-15)
      .join('\n');
  } catch {
    return '';
  }
}

/** Starts one component detached (it outlives the CLI call) and waits until its health endpoint answers. */
async function start(
  c: Component,
  bin: string,
  timeoutMs: number,
): Promise<void> {
  fs.mkdirSync(path.dirname(logFile(c)), { recursive: true });
  fs.mkdirSync(path.dirname(pidFile(c)), { recursive: true });
  // A port in the ephemeral range can be held for a moment by some client connection's source port: try again.
  for (let attempt = 1; ; attempt++) {
    const logStart = fs.existsSync(logFile(c))
      ? fs.statSync(logFile(c)).size
      : 0;
    const exited = await startOnce(c, bin, timeoutMs);
    if (exited === undefined) return;
    const why = typeof exited === 'string' ? exited : `exited with ${exited}`;
    const tail = logTail(c);
    const newLog = fs.readFileSync(logFile(c), 'utf8').slice(logStart);
    if (attempt < 5 && /address already in use/.test(newLog)) {
      log(`kubernetes: ${c}: its port is in use, trying again (${attempt})`);
      await new Promise(r => setTimeout(r, 2000));
      continue;
    }
    throw new Error(
      `kubernetes: ${c} ${why} (${healthUrl(c)}); ${logFile(c)}:\n${tail}`,
    );
  }
}

/** undefined once healthy; the exit code if it exited; a reason if it hung. */
async function startOnce(
  c: Component,
  bin: string,
  timeoutMs: number,
): Promise<number | null | string | undefined> {
  const out = fs.openSync(logFile(c), 'a');
  log(`kubernetes: starting ${c}`);
  const child = spawn(path.join(bin, c), args(c), {
    detached: true,
    stdio: ['ignore', out, out],
    cwd: k8sDir(),
  });
  fs.closeSync(out);
  let exited: number | null | undefined;
  child.on('exit', code => {
    exited = code;
  });
  child.unref();
  fs.writeFileSync(pidFile(c), String(child.pid));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) return exited;
    if (await healthy(c)) return undefined;
    await new Promise(r => setTimeout(r, 250));
  }
  await stop(c);
  return `not healthy after ${timeoutMs / 1000} s`;
}

async function stop(c: Component): Promise<boolean> {
  const pid = readPid(c);
  fs.rmSync(pidFile(c), { force: true });
  if (!pid || !programOf(c, pid)) return false;
  log(`kubernetes: stopping ${c}`);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && programOf(c, pid); i++)
    await new Promise(r => setTimeout(r, 100));
  if (programOf(c, pid)) process.kill(pid, 'SIGKILL');
  return true;
}

/**
 * A process of ours runs this component with the flags args() gives now (a testbed change of flags restarts it),
 * from the bin dir given if one is (not an older build).
 */
function runsAsConfigured(c: Component, bin?: string): boolean {
  const pid = readPid(c);
  const program = pid && programOf(c, pid);
  if (!program || (bin && program !== path.join(bin, c))) return false;
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return JSON.stringify(argv.slice(1, -1)) === JSON.stringify(args(c));
  } catch {
    return false;
  }
}

async function ensureNamespace(): Promise<void> {
  const url = `${apiServerUrl()}/api/v1/namespaces`;
  const labels = {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'app.kubernetes.io/managed-by': 'backlot-testbed',
  };
  const created = await request(url, {
    method: 'POST',
    admin: true,
    body: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: K8S_NAMESPACE, labels },
    },
  });
  if (created.status === 409) {
    const patched = await request(`${url}/${K8S_NAMESPACE}`, {
      method: 'PATCH',
      admin: true,
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels } },
    });
    if (patched.status !== 200)
      throw new Error(
        `kubernetes: labelling ${K8S_NAMESPACE}: ${patched.status} ${patched.body}`,
      );
  } else if (created.status !== 201) {
    throw new Error(
      `kubernetes: creating ${K8S_NAMESPACE}: ${created.status} ${created.body}`,
    );
  }
  // the serviceaccount controller adds `default` within moments; pods cannot be admitted before it
  const deadline = Date.now() + 60_000;
  while (!(await namespaceReady())) {
    if (Date.now() > deadline)
      throw new Error(
        `kubernetes: no service account default in ${K8S_NAMESPACE} after 60 s (is kube-controller-manager's serviceaccount-controller running? ${logFile(
          'kube-controller-manager',
        )})`,
      );
    await new Promise(r => setTimeout(r, 250));
  }
}

export function kubernetesInfo(version: string): TestbedKubernetes {
  return {
    kubeconfig: adminKubeconfig(),
    server: apiServerUrl(),
    version,
    namespace: K8S_NAMESPACE,
  };
}

/** Everything answers, at the pinned version, and the namespace is ready: the info, else undefined. */
export async function probeKubernetes(): Promise<
  TestbedKubernetes | undefined
> {
  if (!fs.existsSync(adminKubeconfig())) return undefined;
  const ok = await Promise.all(COMPONENTS.map(healthy));
  if (!ok.every(Boolean)) return undefined;
  if (!COMPONENTS.every(c => runsAsConfigured(c))) return undefined;
  const version = await apiVersion();
  if (version !== pinnedVersions().kubernetes) return undefined;
  if (!(await namespaceReady())) return undefined;
  return kubernetesInfo(version);
}

/**
 * Builds (the first time) and starts what is missing of the control plane. A component that runs from another
 * build (the pins changed) is restarted on the new one; etcd's data stays.
 */
export async function ensureKubernetes(): Promise<TestbedKubernetes> {
  const bin = await ensureBinaries();
  fs.mkdirSync(k8sDir(), { recursive: true });
  await ensurePki();
  writeKubeconfigs();
  // The API server takes ~10-30 s on its first start (bootstrap RBAC policy, priority levels), less afterwards.
  const timeouts: Record<Component, number> = {
    etcd: 30_000,
    'kube-apiserver': 120_000,
    'kube-controller-manager': 60_000,
    'kube-scheduler': 60_000,
  };
  for (const c of COMPONENTS) {
    const current = runsAsConfigured(c, bin);
    if (current && (await healthy(c))) continue;
    await stop(c); // wedged, from an older build or with other flags
    await start(c, bin, timeouts[c]);
  }
  await ensureNamespace();
  const version = await apiVersion();
  if (!version) throw new Error('kubernetes: /version does not answer');
  return kubernetesInfo(version);
}

/** Stops the control plane (scheduler and controller-manager first, etcd last); etcd's data stays unless `purge`. */
export async function stopKubernetes(
  opts: { purge?: boolean } = {},
): Promise<void> {
  for (const c of [...COMPONENTS].reverse()) await stop(c);
  if (opts.purge) fs.rmSync(k8sDir(), { recursive: true, force: true });
}

export async function kubernetesStatus(): Promise<{
  server: string;
  answering: boolean;
  components: Record<Component, boolean>;
}> {
  const ok = await Promise.all(COMPONENTS.map(healthy));
  const components = Object.fromEntries(
    COMPONENTS.map((c, i) => [c, ok[i]]),
  ) as Record<Component, boolean>;
  return {
    server: apiServerUrl(),
    answering: components['kube-apiserver'],
    components,
  };
}
