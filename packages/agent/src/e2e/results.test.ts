import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT_CODES } from '../contract';
import { runAgent } from '../__testUtils__/runAgent';

// The real binary, but no database server: each command fails (or prunes nothing) before it would
// connect to one. What is checked is the one way every command ends.

jest.setTimeout(60_000);

/** Every key of a result event: one is never left out, an unknown value is null. */
const RESULT_KEYS = [
  'type',
  'status',
  'location',
  'manifest',
  'key',
  'bytes',
  'sha256',
  'serverVersion',
  'pgDumpVersion',
  'error',
  'errorsIgnored',
  'peakRssBytes',
  'cpuSeconds',
].sort();

const env = { BACKLOT_PG_SYSTEM_BINS: '0' };

describe('every command reports one result', () => {
  const folder = () =>
    pathToFileURL(fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-results-')))
      .href;

  it.each(['restore', 'verify', 'prune'])(
    '%s of something that is not a .dump: exit 2 and a failed result naming it',
    async command => {
      const from = `${folder()}/run.tar`;
      const run = await runAgent([command, '--from', from, '--events'], env);
      expect(run.code).toBe(EXIT_CODES.usage);
      expect(run.events).toHaveLength(1);
      expect(Object.keys(run.result).sort()).toEqual(RESULT_KEYS);
      expect(run.result).toMatchObject({
        status: 'failed',
        location: from,
        manifest: null,
        key: null,
        error: { code: 'usage' },
      });
      expect(run.stderr).toContain('failed: --from');
    },
  );

  it.each(['restore', 'verify'])(
    '%s of a dump without a manifest: exit 6',
    async command => {
      const from = `${folder()}/run.dump`;
      const run = await runAgent([command, '--from', from, '--events'], env);
      expect(run.code).toBe(EXIT_CODES.verification);
      expect(run.result).toMatchObject({
        status: 'failed',
        location: from,
        error: { code: 'verification' },
      });
    },
  );

  it('prune --events prints a result too', async () => {
    const from = `${folder()}/default/x/2026/01/01/run.dump`;
    const run = await runAgent(['prune', '--from', from, '--events'], env);
    expect(run.code).toBe(EXIT_CODES.ok);
    expect(Object.keys(run.result).sort()).toEqual(RESULT_KEYS);
    expect(run.result).toMatchObject({
      status: 'succeeded',
      location: from,
      manifest: from.replace(/\.dump$/, '.manifest.json'),
      error: null,
    });
  });

  it('dump with an entity that is not <namespace>/<name>: exit 2, through the same path', async () => {
    const run = await runAgent(
      ['dump', '--to', folder(), '--entity', 'a/b/c', '--events'],
      env,
    );
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(Object.keys(run.result).sort()).toEqual(RESULT_KEYS);
    expect(run.result).toMatchObject({
      status: 'failed',
      location: null,
      error: {
        code: 'usage',
        message: '--entity "a/b/c" is not <namespace>/<name>',
      },
    });
  });
});
