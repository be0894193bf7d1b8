import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { relayLine, startPgTool } from './pgTool';

// A stand-in for a pg tool that writes one stderr line in two pieces, apart in time, as a pipe
// may deliver it: the reader must see whole lines, each once.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-pgtool-'));
const tool = path.join(dir, 'tool.js');
fs.writeFileSync(
  tool,
  `process.stderr.write('pg_restore: error: could not exe');
setTimeout(() => {
  process.stderr.write('cute query: ERROR:  role "x" does not exist\\nCommand was: GRANT …;\\n');
  process.exitCode = 1;
}, 50);
`,
);

describe('startPgTool', () => {
  it('hands on whole stderr lines even when the pipe splits one, and keeps them for the tail', async () => {
    const lines: string[] = [];
    const running = startPgTool(process.execPath, [tool], {
      env: process.env,
      stdout: 'ignore',
      onStderrLine: line => lines.push(line),
    });
    expect(await running.exited).toEqual({ code: 1, signal: null });
    expect(lines).toEqual([
      'pg_restore: error: could not execute query: ERROR:  role "x" does not exist',
      'Command was: GRANT …;',
    ]);
    expect(running.stderrTail()).toContain('could not execute query');
  });

  it('prefixes a relayed line with the tool once', () => {
    expect(relayLine('pg_dump', 'pg_dump: error: query failed')).toBe(
      'pg_dump: error: query failed',
    );
    expect(relayLine('pg_restore', 'Command was: GRANT …;')).toBe(
      'pg_restore: Command was: GRANT …;',
    );
  });
});
