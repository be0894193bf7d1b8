export interface WorkloadResult {
  backup_s: number;
  B0_s: number;
  B1_s: number;
  B2_s: number;
  ratio_vs_B0: number;
  ratio_vs_B2: number;
  artifact_bytes: number;
  B1_bytes: number;
  B2_bytes: number;
  artifact_vs_B1: number;
  peak_rss_mb: number;
  /** B2s: B2's pg_dump piped into a bare S3 upload, the floor of any backup into this S3 server */
  B2s_s: number;
  B2s_vs_B2: number;
  /** what the engine adds over that floor */
  backup_vs_B2s: number;
  /**
   * The same, as the median of each round's own ratio: a round's backup and B2s run minutes apart at
   * most, so a machine that is slower for a while (seen here: B2 4.7 to 6.6 s in one run) slows
   * both, where a ratio of medians can pair a slow backup with a fast B2s.
   */
  backup_vs_B2s_paired: number;
  B2s_s3_server_cpu_s: number;
  /** CPU seconds the machine was busy during B2 (pg_dump, the server's backend, the file's writes) */
  B2_machine_cpu_s: number;
  /**
   * The least time any backup into this S3 server can take here: B2's busy CPU plus the S3 server's
   * CPU for the same artifact, over every core.
   */
  cpu_floor_s: number;
  cpu_floor_vs_B2: number;
  /** the same backup into a local folder: the engine without the S3 server */
  backup_file_s: number;
  backup_file_vs_B2: number;
  /** backup to folder / B2, the median of each round's own ratio */
  backup_file_vs_B2_paired: number;
  agent_cpu_s: number;
  s3_server_cpu_s: number;
  database_bytes: number;
  tables: number;
  description: string;
  /** seconds of every run, per measurement */
  samples: Record<string, number[]>;
}

export interface FrontierPoint {
  codec: string;
  seconds: number;
  bytes: number;
  vs_B1_bytes: number;
}

export interface BenchResult {
  date: string;
  machine: Record<string, string | number>;
  runs: number;
  compression: string;
  workloads: Record<string, WorkloadResult>;
  frontier: Record<string, FrontierPoint[]>;
  targets?: TargetCheck[];
}

export interface TargetCheck {
  workload: string;
  target: string;
  value: number;
  limit: number;
  met: boolean;
  /** the best value this machine allows, where the machine rather than the engine bounds it */
  floor?: number;
}

/** The issue's targets, checked against one run's medians. */
export function checkTargets(result: BenchResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const add = (
    workload: string,
    target: string,
    value: number,
    limit: number,
    floor?: number,
  ) =>
    checks.push({ workload, target, value, limit, met: value <= limit, floor });
  for (const [id, w] of Object.entries(result.workloads)) {
    add(
      id,
      'backup to S3 / B2 (the engine adds nothing)',
      w.ratio_vs_B2,
      1.05,
      w.cpu_floor_vs_B2,
    );
    // issue 12: what the engine adds over the bare upload (B2s), and over pg_dump to a file
    add(
      id,
      'backup to S3 / B2s (what the engine adds; per-round ratios)',
      w.backup_vs_B2s_paired,
      1.1,
    );
    add(
      id,
      'backup to folder / B2 (what the engine adds; per-round ratios)',
      w.backup_file_vs_B2_paired,
      1.1,
    );
    add(id, 'agent peak RSS, MB', w.peak_rss_mb, 150);
    if (id === 'W2') {
      add(id, 'backup / B0 with the default compression', w.ratio_vs_B0, 2);
      add(id, 'artifact bytes / B1 bytes', w.artifact_vs_B1, 0.6);
    }
  }
  return checks;
}

const NOTES_MARKER =
  '<!-- Everything below this line is written by people and kept by yarn bench. -->';
const mb = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);

/** docs/benchmarks.md: this run's figures, then the hand-written notes of the previous file. */
export function renderMarkdown(result: BenchResult, previous: string): string {
  result.targets = checkTargets(result);
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push(
    `Written by \`yarn bench\` on ${result.date}. Medians of ${result.runs} interleaved rounds ` +
      '(the six measurements of a workload run one after another, in a rotated order each round).',
    '',
  );
  lines.push('| Machine | |', '|---|---|');
  for (const [k, v] of Object.entries(result.machine))
    lines.push(`| ${k} | ${v} |`);
  lines.push('');
  lines.push(
    '- **B0**: `COPY … TO STDOUT` of every table into /dev/null (psql, one session): the cost of reading the data.',
    '- **B1**: `pg_dump -Fc --compress=none` to /dev/null.',
    `- **B2**: \`pg_dump -Fc --compress=${result.compression}\` (the backup's compression) to a local file.`,
    `- **backup**: \`backlot-agent dump --to s3://… --compress ${result.compression}\`, process start to exit: ` +
      'version check, snapshot, row counts, pg_dump, sha256, multipart upload, roles, manifest.',
    '',
  );
  lines.push(
    '| Workload | backup s | B0 s | B1 s | B2 s | backup/B0 | backup/B2 | artifact MiB | B1 MiB | artifact/B1 | agent peak RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [id, w] of Object.entries(result.workloads)) {
    lines.push(
      `| ${id} | ${w.backup_s} | ${w.B0_s} | ${w.B1_s} | ${w.B2_s} | ${w.ratio_vs_B0} | ${w.ratio_vs_B2} | ` +
        `${mb(w.artifact_bytes)} | ${mb(w.B1_bytes)} | ${w.artifact_vs_B1} | ${
          w.peak_rss_mb
        } |`,
    );
  }
  lines.push(
    '',
    "Where the time goes. **B2s**: B2's `pg_dump` piped straight into the agent's multipart upload to the same " +
      'S3 server (its part size and buffers; no hash, row counts, roles or manifest): the floor of any ' +
      'backup into this S3 server. **backup to folder**: the same backup into a local folder, the engine ' +
      'without S3. CPU seconds of the agent and of the S3 server (fauxqs, on this machine) during the backup.',
    '',
    '| Workload | B2s s | B2s/B2 | backup/B2s | backup to folder s | folder/B2 | agent CPU s | S3 server CPU s (backup) | S3 server CPU s (B2s) |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const [id, w] of Object.entries(result.workloads)) {
    lines.push(
      `| ${id} | ${w.B2s_s} | ${w.B2s_vs_B2} | ${w.backup_vs_B2s} | ${w.backup_file_s} | ${w.backup_file_vs_B2} | ` +
        `${w.agent_cpu_s} | ${w.s3_server_cpu_s} | ${w.B2s_s3_server_cpu_s} |`,
    );
  }
  lines.push(
    '',
    "What this machine allows. B2 keeps most of the machine's CPU busy (pg_dump and the server's backend); " +
      'a backup into an S3 server on the same machine must also pay for that server. The **CPU floor** is ' +
      "B2's busy CPU (machine-wide, its file's writes included) plus the S3 server's CPU during B2s, divided " +
      `by the ${result.machine.cpus} cores: no backup into this S3 server, however cheap its engine, ends sooner.`,
    '',
    '| Workload | B2 s | busy CPU s during B2 | S3 server CPU s (B2s) | CPU floor s | floor/B2 |',
    '|---|---|---|---|---|---|',
  );
  for (const [id, w] of Object.entries(result.workloads)) {
    lines.push(
      `| ${id} | ${w.B2_s} | ${w.B2_machine_cpu_s} | ${w.B2s_s3_server_cpu_s} | ${w.cpu_floor_s} | ${w.cpu_floor_vs_B2} |`,
    );
  }
  lines.push('');
  for (const [id, w] of Object.entries(result.workloads)) {
    lines.push(
      `- **${id}**: ${w.description}; ${w.tables} tables, database ${mb(
        w.database_bytes,
      )} MiB. ` +
        `Runs (s): ${Object.entries(w.samples)
          .map(([k, v]) => `${k} ${v.join(' / ')}`)
          .join('; ')}.`,
    );
  }
  lines.push(
    '',
    '## Targets',
    '',
    '| Workload | Target | Value | Limit | Met | Floor on this machine |',
    '|---|---|---|---|---|---|',
  );
  for (const c of result.targets) {
    lines.push(
      `| ${c.workload} | ${c.target} | ${c.value} | ${c.limit} | ${
        c.met ? 'yes' : '**no**'
      } | ${c.floor === undefined ? '' : `≥ ${c.floor}`} |`,
    );
  }
  if (Object.keys(result.frontier).length) {
    lines.push(
      '',
      '## Codecs: time versus size',
      '',
      '`pg_dump -Fc --compress=<codec>` to a local file, one run each.',
      '',
      '| Workload | Codec | Seconds | MiB | Bytes / B1 |',
      '|---|---|---|---|---|',
    );
    for (const [id, points] of Object.entries(result.frontier)) {
      for (const p of points) {
        lines.push(
          `| ${id} | ${p.codec} | ${p.seconds} | ${mb(p.bytes)} | ${
            p.vs_B1_bytes
          } |`,
        );
      }
    }
  }
  const at = previous.indexOf(NOTES_MARKER);
  const notes =
    at >= 0 ? previous.slice(at + NOTES_MARKER.length).trim() : '## Notes\n';
  lines.push('', NOTES_MARKER, '', notes, '');
  return lines.join('\n');
}
