import { BenchResult, renderMarkdown, WorkloadResult } from './report';

const w2: WorkloadResult = {
  backup_s: 11,
  B0_s: 5.5,
  B1_s: 4.7,
  B2_s: 6.4,
  ratio_vs_B0: 2,
  ratio_vs_B2: 1.719,
  artifact_bytes: 470 * 1024 ** 2,
  B1_bytes: 1211 * 1024 ** 2,
  B2_bytes: 470 * 1024 ** 2,
  artifact_vs_B1: 0.388,
  peak_rss_mb: 141,
  B2s_s: 11.7,
  B2s_vs_B2: 1.828,
  backup_vs_B2s: 0.94,
  backup_vs_B2s_paired: 0.95,
  B2s_s3_server_cpu_s: 3.39,
  B2_machine_cpu_s: 10.1,
  cpu_floor_s: 6.75,
  cpu_floor_vs_B2: 1.055,
  backup_file_s: 7.2,
  backup_file_vs_B2: 1.125,
  backup_file_vs_B2_paired: 1.12,
  agent_cpu_s: 3.16,
  s3_server_cpu_s: 3.23,
  database_bytes: 1288 * 1024 ** 2,
  tables: 2,
  description: 'wide rows',
  samples: { B2: [6.4], B2s: [11.7], backup: [11] },
};

const result = (): BenchResult => ({
  date: '2026-11-24T00:00:00.000Z',
  machine: { cpus: 2 },
  runs: 1,
  compression: 'zstd:1',
  workloads: { W2: w2 },
  frontier: {},
});

const MARKER =
  '<!-- Everything below this line is written by people and kept by yarn bench. -->';

describe('renderMarkdown', () => {
  it('keeps the hand-written notes of the previous file below the marker', () => {
    const previous = `# old figures\n\n${MARKER}\n\n## Notes\n\nWhy W2 is slow.\n`;
    const md = renderMarkdown(result(), previous);
    expect(md).not.toContain('old figures');
    expect(md.endsWith(`${MARKER}\n\n## Notes\n\nWhy W2 is slow.\n`)).toBe(
      true,
    );
  });

  it('checks every target and reports the S3 floor (B2s) beside the backup', () => {
    const r = result();
    const md = renderMarkdown(r, '');
    expect(md).toContain(
      '| W2 | backup to S3 / B2 (the engine adds nothing) | 1.719 | 1.05 | **no** | ≥ 1.055 |',
    );
    expect(md).toContain(
      '| W2 | artifact bytes / B1 bytes | 0.388 | 0.6 | yes |  |',
    );
    // the floor that the machine sets, beside what it is made of
    expect(md).toContain('| W2 | 6.4 | 10.1 | 3.39 | 6.75 | 1.055 |');
    expect(md).toContain(
      '| W2 | 11.7 | 1.828 | 0.94 | 7.2 | 1.125 | 3.16 | 3.23 | 3.39 |',
    );
    expect(md).toContain(
      '| W2 | backup to S3 / B2s (what the engine adds; per-round ratios) | 0.95 | 1.1 | yes |  |',
    );
    expect(r.targets!.filter(t => !t.met).map(t => t.target)).toEqual([
      'backup to S3 / B2 (the engine adds nothing)',
      'backup to folder / B2 (what the engine adds; per-round ratios)',
    ]);
  });
});
