import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ResultEvent } from '../contract';
import {
  RESULT_FILE_MAX_BYTES,
  resultForFile,
  writeResultFile,
} from './resultFile';

const failed: ResultEvent = {
  type: 'result',
  status: 'failed',
  location: null,
  manifest: null,
  key: null,
  bytes: null,
  sha256: null,
  serverVersion: '19.1',
  pgDumpVersion: null,
  error: { code: 'no_client', message: 'no pg_dump for PostgreSQL 19' },
  errorsIgnored: null,
  peakRssBytes: 1,
  cpuSeconds: 0.1,
};

describe('the result file (a termination message)', () => {
  it('holds the whole result event when it fits', () => {
    expect(JSON.parse(resultForFile(failed))).toEqual(failed);
  });

  it('cuts a long error message and many error kinds to 4 KiB, keeping the codes and counts', () => {
    const long: ResultEvent = {
      ...failed,
      error: { code: 'restore', message: 'x'.repeat(10_000) },
      errorsIgnored: {
        total: 400,
        kinds: Array.from({ length: 40 }, (_, i) => ({
          kind: `kind ${i}`,
          count: 10,
          example: 'e'.repeat(500),
        })),
      },
    };
    const text = resultForFile(long);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(RESULT_FILE_MAX_BYTES);
    const parsed = JSON.parse(text);
    expect(parsed.error.code).toBe('restore');
    expect(parsed.error.message.startsWith('xxxx')).toBe(true);
    expect(parsed.errorsIgnored.total).toBe(400);
    expect(parsed.serverVersion).toBe('19.1');
  });

  it('is written only where BACKLOT_RESULT_FILE points', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-result-'));
    const file = path.join(dir, 'termination-log');
    writeResultFile(failed, {});
    expect(fs.existsSync(file)).toBe(false);
    writeResultFile(failed, { BACKLOT_RESULT_FILE: file });
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).error.code).toBe(
      'no_client',
    );
  });
});
