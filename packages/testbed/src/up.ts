import fs from 'node:fs';
import path from 'node:path';
import { CLIENT_MAJORS, ensureClient, findClientBin } from './clients';
import {
  DEFAULT_CLIENT_MAJORS,
  HOST,
  k8sPorts,
  pgPort,
  PLAIN_MAJOR,
  s3Port,
  SERVER_MAJORS,
  serverDir,
  stateDir,
  SUPERUSER,
} from './config';
import { databaseUrl } from './databases';
import { log } from './exec';
import { withLock } from './lock';
import { loadOrCreatePassword, readPassword } from './password';
import {
  ensureServer,
  hasStaleBinaries,
  isReady,
  probe,
  ServerStatus,
  stopServer,
} from './postgres';
import {
  ensureKubernetes,
  kubernetesStatus,
  probeKubernetes,
  stopKubernetes,
} from './kubernetes';
import {
  ensureKubelet,
  kubeletStatus,
  probeKubelet,
  stopKubelet,
} from './kubelet/daemon';
import { ensureS3, probeS3, s3Info, stopS3 } from './s3';
import { DEMO_DATABASES, demoUrls, ensureDemoSeed, isDemoSeeded } from './seed';
import { ensureCertificates, tlsInfo } from './tls';
import { TestbedInfo, TestbedKubernetes, TestbedUpOptions } from './types';

// Client builds take minutes; a waiter must outlast one of them.
const LOCK_TIMEOUT_MS = 20 * 60_000;

function validate(
  list: number[],
  allowed: readonly number[],
  what: string,
): number[] {
  for (const m of list) {
    if (!allowed.includes(m))
      throw new Error(
        `no ${what} for PostgreSQL ${m}; available: ${allowed.join(', ')}`,
      );
  }
  return [...new Set(list)].sort((a, b) => a - b);
}

interface Plan {
  pg: number[];
  clients: number[];
  s3: boolean;
  plain: boolean;
  k8s: boolean;
  seed?: 'demo';
}

function plan(opts: TestbedUpOptions): Plan {
  let pg = validate(opts.pg ?? [...SERVER_MAJORS], SERVER_MAJORS, 'server');
  if (opts.seed === 'demo')
    pg = [...new Set([...pg, ...DEMO_DATABASES.map(d => d.major)])].sort(
      (a, b) => a - b,
    );
  return {
    pg,
    clients: validate(
      opts.clients ?? [...DEFAULT_CLIENT_MAJORS],
      CLIENT_MAJORS,
      'client recipe',
    ),
    s3: !!opts.s3,
    plain: !!opts.plain,
    k8s: !!opts.k8s,
    seed: opts.seed,
  };
}

function info(
  p: Plan,
  password: string,
  pgBin: Record<string, string>,
  plain?: ServerStatus,
  kubernetes?: TestbedKubernetes,
): TestbedInfo {
  const postgres: Record<string, string> = {};
  const ports: Record<string, number> = {};
  for (const m of p.pg) {
    postgres[m] = databaseUrl(m, 'postgres', password);
    ports[m] = pgPort(m);
  }
  const result: TestbedInfo = {
    postgres,
    pgBin,
    password,
    user: SUPERUSER,
    host: HOST,
    ports,
    tls: tlsInfo(),
  };
  if (p.s3) {
    result.s3 = s3Info();
    ports.s3 = s3Port();
  }
  if (p.plain) {
    result.plain = {
      major: PLAIN_MAJOR,
      version: plain?.version ?? '',
      url: databaseUrl('plain', 'postgres', password),
      port: pgPort('plain'),
    };
    ports.plain = pgPort('plain');
  }
  if (p.seed === 'demo') result.demo = demoUrls(password);
  if (kubernetes) {
    result.kubernetes = kubernetes;
    ports.kubernetes = k8sPorts().apiserver;
  }
  return result;
}

/** Everything already there? Checked without the lock so that a warm call costs a few round trips. */
async function alreadyUp(p: Plan): Promise<TestbedInfo | undefined> {
  const password = readPassword();
  if (!password) return undefined;
  const pgBin: Record<string, string> = {};
  for (const m of p.clients) {
    const bin = findClientBin(m);
    if (!bin) return undefined;
    pgBin[m] = bin;
  }
  const [probes, plain, kubernetes, kubelet] = await Promise.all([
    Promise.all(p.pg.map(m => probe(m, password))),
    p.plain ? probe('plain', password) : undefined,
    p.k8s ? probeKubernetes() : undefined,
    p.k8s ? probeKubelet() : undefined,
  ]);
  if (p.k8s && !(kubernetes && kubelet)) return undefined;
  if (!probes.every((s, i) => isReady(p.pg[i], s))) return undefined;
  if (plain && (!isReady('plain', plain) || hasStaleBinaries('plain')))
    return undefined;
  if (p.s3 && !(await probeS3())) return undefined;
  if (p.seed === 'demo' && !(await isDemoSeeded())) return undefined;
  return info(p, password, pgBin, plain, kubernetes);
}

async function bringUp(p: Plan): Promise<TestbedInfo> {
  const password = loadOrCreatePassword();
  const started = Date.now();
  // Servers start in parallel (initdb and start are short); client builds run one at a time since each
  // already uses every core.
  await ensureCertificates();
  const servers = Promise.all(p.pg.map(m => ensureServer(m, password)));
  const s3 = p.s3 ? ensureS3() : Promise.resolve(undefined);
  const pgBin: Record<string, string> = {};
  let kubernetes: TestbedKubernetes | undefined;
  try {
    for (const m of p.clients) pgBin[m] = await ensureClient(m);
    // The plain server's first start builds it from source, on every core: after the client builds, not beside them.
    if (p.plain) await ensureServer('plain', password);
    // Likewise the control plane's first start builds it from Go modules (long, every core).
    if (p.k8s) {
      kubernetes = await ensureKubernetes();
      // the node comes last: it registers itself with the API server
      await ensureKubelet();
    }
  } finally {
    // Let the parallel work settle before reporting, so no start-up keeps running unobserved.
    await Promise.allSettled([servers, s3]);
  }
  await servers;
  await s3;
  if (p.seed === 'demo') await ensureDemoSeed();
  const plain = p.plain ? await probe('plain', password) : undefined;
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return info(p, password, pgBin, plain, kubernetes);
}

let inProcess: Promise<unknown> = Promise.resolve();

/**
 * Starts what is missing of the requested testbed and describes all of it. Safe to call from many processes at
 * once (a lock in the state dir serialises start-ups) and cheap when everything already runs.
 */
export async function testbedUp(
  opts: TestbedUpOptions = {},
): Promise<TestbedInfo> {
  // `yarn test:unit` promises tests that need no server: one that asks for the testbed is an
  // end-to-end test and belongs in an e2e/ folder or a *.e2e.test.ts file
  if (process.env.BACKLOT_TEST_UNIT === '1') {
    throw new Error(
      'a unit test (BACKLOT_TEST_UNIT=1) asked for the testbed: name it *.e2e.test.ts or move it to an e2e/ folder',
    );
  }
  const p = plan(opts);
  const warm = await alreadyUp(p);
  if (warm) return warm;
  // Calls within one process queue up here too, so they don't poll the lock against themselves.
  const turn = inProcess.then(() =>
    withLock(
      path.join(stateDir(), 'up.lock'),
      LOCK_TIMEOUT_MS,
      async () => (await alreadyUp(p)) ?? bringUp(p),
    ),
  );
  inProcess = turn.catch(() => undefined);
  return turn;
}

/** Stops every server (the plain one too), the S3 server and the Kubernetes control plane; data stays (the next `up` is quick) unless `purge` is set. */
export async function testbedDown(
  opts: { purge?: boolean } = {},
): Promise<void> {
  await withLock(
    path.join(stateDir(), 'up.lock'),
    LOCK_TIMEOUT_MS,
    async () => {
      const servers = [...SERVER_MAJORS, 'plain' as const];
      await Promise.all([
        ...servers.map(m => stopServer(m)),
        stopS3(),
        // the kubelet before the API server, so that it does not spend its last moments failing to reach it
        stopKubelet().then(() => stopKubernetes({ purge: opts.purge })),
      ]);
      if (opts.purge) {
        log(`removing ${stateDir()}`);
        for (const m of servers)
          fs.rmSync(serverDir(m), { recursive: true, force: true });
        fs.rmSync(path.join(stateDir(), 's3'), {
          recursive: true,
          force: true,
        });
        fs.rmSync(path.join(stateDir(), 'password'), { force: true });
        fs.rmSync(path.join(stateDir(), 'tls'), {
          recursive: true,
          force: true,
        });
      }
    },
  );
}

export interface TestbedStatus {
  stateDir: string;
  servers: ServerStatus[];
  /** the plain (self-built) server */
  plain: ServerStatus;
  s3: { endpoint: string; answering: boolean };
  kubernetes: Awaited<ReturnType<typeof kubernetesStatus>> & {
    kubelet: Awaited<ReturnType<typeof kubeletStatus>>;
  };
  pgBin: Record<string, string>;
}

export async function testbedStatus(): Promise<TestbedStatus> {
  const password = readPassword() ?? '';
  const [servers, plain] = await Promise.all([
    Promise.all(SERVER_MAJORS.map(m => probe(m, password))),
    probe('plain', password),
  ]);
  const pgBin: Record<string, string> = {};
  for (const m of CLIENT_MAJORS) {
    const bin = findClientBin(m);
    if (bin) pgBin[m] = bin;
  }
  return {
    stateDir: stateDir(),
    servers,
    plain,
    s3: { endpoint: s3Info().endpoint, answering: await probeS3() },
    kubernetes: {
      ...(await kubernetesStatus()),
      kubelet: await kubeletStatus(),
    },
    pgBin,
  };
}
