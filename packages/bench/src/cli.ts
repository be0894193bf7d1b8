import {
  createS3Client,
  defaultCompression,
  describeCompression,
} from '@backlot/agent';
import { pgBinFor, stateDir, testbedUp } from '@backlot/testbed';
import { Command } from 'commander';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  agentBackup,
  BenchTarget,
  copyAll,
  machineCpuMeter,
  Measured,
  pgDumpToFile,
  pgDumpToS3,
  userTables,
} from './measure';
import {
  BenchResult,
  FrontierPoint,
  renderMarkdown,
  WorkloadResult,
} from './report';
import { median, rotate, round2, round3 } from './stats';
import { ensureWorkload, WORKLOADS } from './workloads';

const SERVER_MAJOR = 18;
const FRONTIER_CODECS = [
  'lz4:1',
  'gzip:1',
  'gzip:6',
  'zstd:1',
  'zstd:2',
  'zstd:3',
  'zstd:6',
];
// the bench runs from the repository's sources only, never from a build
// eslint-disable-next-line no-restricted-syntax
const REPO_ROOT = path.resolve(__dirname, '../../..');
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(opts: {
  json?: boolean;
  runs: string;
  only?: string;
  frontier: boolean;
}) {
  const runs = Number(opts.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs "${opts.runs}" is not a whole number`);
  const only = opts.only?.split(',');
  const workloads = WORKLOADS.filter(w => !only || only.includes(w.id));

  const testbed = await testbedUp({ pg: [SERVER_MAJOR], s3: true });
  const bin = pgBinFor(SERVER_MAJOR);
  if (!bin)
    throw new Error(
      `no pg client ${SERVER_MAJOR}: run yarn testbed up --clients`,
    );
  const t = testbed.s3!;
  const agentBundle = path.join(
    REPO_ROOT,
    'packages/agent/dist/backlot-agent.cjs',
  );
  if (!fs.existsSync(agentBundle))
    throw new Error(
      `no agent bundle at ${agentBundle}: run yarn bench (it builds it first)`,
    );
  const target: BenchTarget = {
    libpq: {
      PGHOST: testbed.host,
      PGPORT: String(testbed.ports[String(SERVER_MAJOR)]),
      PGUSER: testbed.user,
      PGPASSWORD: testbed.password,
      // the testbed's servers offer TLS, which libpq's default (prefer) would take; on loopback the
      // bench measures dumping and the engine, the same for every baseline and the backup
      PGSSLMODE: 'disable',
    },
    pgBinDir: bin.dir,
    agentEnv: {
      AWS_ENDPOINT_URL_S3: t.endpoint,
      AWS_REGION: t.region,
      AWS_ACCESS_KEY_ID: t.accessKeyId,
      AWS_SECRET_ACCESS_KEY: t.secretAccessKey,
      BACKLOT_PG_BIN_DIRS: bin.dir,
      BACKLOT_PG_SYSTEM_BINS: '0',
      // what the bin turns on before it loads the bundle (module.enableCompileCache's default folder)
      NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'node-compile-cache'),
    },
    // the bundle `yarn bench` has just built, not the bin: the bin falls back to tsx as soon as a
    // source file is newer, which would change what is measured half-way through a run
    agentBin: agentBundle,
    s3ServerPid:
      Number(fs.readFileSync(path.join(stateDir(), 's3/pid'), 'utf8')) ||
      undefined,
    s3Url: `s3://${t.bucket}/bench`,
    s3: {
      bucket: t.bucket,
      // the agent's own client settings, so that B2s differs from the backup only by the engine
      client: createS3Client({
        AWS_ENDPOINT_URL_S3: t.endpoint,
        AWS_REGION: t.region,
        AWS_ACCESS_KEY_ID: t.accessKeyId,
        AWS_SECRET_ACCESS_KEY: t.secretAccessKey,
      }),
    },
  };
  const connect = async (database: string) => {
    const client = new Client({
      host: testbed.host,
      port: testbed.ports[String(SERVER_MAJOR)],
      user: testbed.user,
      password: testbed.password,
      database,
    });
    await client.connect();
    return client;
  };

  const admin = await connect('postgres');
  const serverVersion = (await admin.query('show server_version')).rows[0]
    .server_version;
  for (const w of workloads) await ensureWorkload(admin, connect, w, log);
  await admin.end();

  const compression = describeCompression(defaultCompression(bin.major));
  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
      node: process.version,
      server: `PostgreSQL ${serverVersion}`,
      pgDump: `pg_dump ${bin.major} (${bin.dir})`,
      s3: `fauxqs on ${t.endpoint} (same machine)`,
    },
    runs,
    compression,
    workloads: {},
    frontier: {},
  };

  for (const w of workloads) {
    const client = await connect(w.database);
    const tables = await userTables(client);
    const dbBytes = Number(
      (await client.query('select pg_database_size(current_database()) as b'))
        .rows[0].b,
    );
    await client.end();
    log(
      `${w.id}: ${tables.length} tables, ${(dbBytes / 1024 ** 3).toFixed(
        2,
      )} GiB; warming the cache`,
    );
    await copyAll(target, w.database, tables);

    const samples: Record<
      'B0' | 'B1' | 'B2' | 'B2s' | 'backup' | 'backup_file',
      Measured[]
    > = { B0: [], B1: [], B2: [], B2s: [], backup: [], backup_file: [] };
    const entity = `default/bench-${w.id.toLowerCase()}`;
    const steps: [keyof typeof samples, () => Promise<Measured>][] = [
      ['B0', () => copyAll(target, w.database, tables)],
      ['B1', () => pgDumpToFile(target, w.database, 'none', true)],
      ['B2', () => pgDumpToFile(target, w.database, compression, false)],
      ['B2s', () => pgDumpToS3(target, w.database, compression, dbBytes)],
      ['backup', () => agentBackup(target, w.database, entity, compression)],
      [
        'backup_file',
        () => agentBackup(target, w.database, entity, compression, 'file'),
      ],
    ];
    for (let round = 0; round < runs; round++) {
      for (const [name, measure] of rotate(steps, round)) {
        const machineCpu = machineCpuMeter();
        const m = await measure();
        m.machineCpuSeconds = machineCpu();
        samples[name].push(m);
        log(
          `${w.id} round ${round + 1}/${runs}: ${name} ${m.seconds.toFixed(
            2,
          )} s${m.bytes ? `, ${m.bytes} bytes` : ''}`,
        );
      }
    }
    // B1's bytes: pg_dump without compression, counted once outside the timed runs
    const b1Bytes = (await pgDumpToFile(target, w.database, 'none', false))
      .bytes!;
    const med = (name: keyof typeof samples) =>
      median(samples[name].map(s => s.seconds));
    /** the median of each round's a/b: both ran in the same round, on the machine as it was then */
    const paired = (a: keyof typeof samples, b: keyof typeof samples) =>
      median(samples[a].map((s, i) => s.seconds / samples[b][i].seconds));
    // No backup into this S3 server can take less than the CPU that B2 keeps busy plus what the S3
    // server spends receiving the artifact, spread over every core.
    const b2MachineCpu = median(samples.B2.map(s => s.machineCpuSeconds!));
    const b2sS3Cpu = median(samples.B2s.map(s => s.s3ServerCpuSeconds ?? 0));
    const cpuFloor = (b2MachineCpu + b2sS3Cpu) / os.cpus().length;
    const wr: WorkloadResult = {
      backup_s: round2(med('backup')),
      B0_s: round2(med('B0')),
      B1_s: round2(med('B1')),
      B2_s: round2(med('B2')),
      ratio_vs_B0: round2(med('backup') / med('B0')),
      ratio_vs_B2: round3(med('backup') / med('B2')),
      artifact_bytes: median(samples.backup.map(s => s.bytes!)),
      B1_bytes: b1Bytes,
      B2_bytes: median(samples.B2.map(s => s.bytes!)),
      artifact_vs_B1: round3(
        median(samples.backup.map(s => s.bytes!)) / b1Bytes,
      ),
      peak_rss_mb: round2(
        Math.max(...samples.backup.map(s => s.peakRssBytes ?? 0)) / 1024 ** 2,
      ),
      B2s_s: round2(med('B2s')),
      B2s_vs_B2: round3(med('B2s') / med('B2')),
      backup_vs_B2s: round3(med('backup') / med('B2s')),
      backup_vs_B2s_paired: round3(paired('backup', 'B2s')),
      B2s_s3_server_cpu_s: round2(b2sS3Cpu),
      B2_machine_cpu_s: round2(b2MachineCpu),
      cpu_floor_s: round2(cpuFloor),
      cpu_floor_vs_B2: round3(cpuFloor / med('B2')),
      backup_file_s: round2(med('backup_file')),
      backup_file_vs_B2: round3(med('backup_file') / med('B2')),
      backup_file_vs_B2_paired: round3(paired('backup_file', 'B2')),
      agent_cpu_s: round2(
        median(samples.backup.map(s => s.agentCpuSeconds ?? 0)),
      ),
      s3_server_cpu_s: round2(
        median(samples.backup.map(s => s.s3ServerCpuSeconds ?? 0)),
      ),
      database_bytes: dbBytes,
      tables: tables.length,
      description: w.description,
      samples: Object.fromEntries(
        Object.entries(samples).map(([k, v]) => [
          k,
          v.map(s => round2(s.seconds)),
        ]),
      ),
    };
    result.workloads[w.id] = wr;

    if (opts.frontier && w.id !== 'W3') {
      const points: FrontierPoint[] = [];
      for (const codec of ['none', ...FRONTIER_CODECS]) {
        const m = await pgDumpToFile(target, w.database, codec, false);
        points.push({
          codec,
          seconds: round2(m.seconds),
          bytes: m.bytes!,
          vs_B1_bytes: round3(m.bytes! / b1Bytes),
        });
        log(
          `${w.id} frontier: ${codec} ${m.seconds.toFixed(2)} s, ${
            m.bytes
          } bytes`,
        );
      }
      result.frontier[w.id] = points;
    }
  }

  const out = path.join(REPO_ROOT, 'docs/benchmarks.md');
  const previous = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, renderMarkdown(result, previous));
  log(`wrote ${path.relative(process.cwd(), out)}`);
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

new Command('bench')
  .description(
    'backlot-agent against pg_dump baselines on the W1-W3 workloads (PostgreSQL 18 of the testbed)',
  )
  .option('--json', 'also print the results as JSON on stdout')
  .option('--runs <n>', 'rounds per workload (medians are reported)', '5')
  .option('--only <ids>', 'comma-separated workloads, e.g. W1,W3')
  .option('--no-frontier', 'skip the codec time-versus-size frontier')
  .action(opts =>
    main(opts).catch(error => {
      log(`failed: ${error.message}`);
      process.exitCode = 1;
    }),
  )
  .parseAsync(process.argv);
