import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const AGENT = path.resolve(__dirname, '../../bin/backlot-agent');

/** What one run of the real agent binary printed and returned. */
export interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
  events: any[];
  result: any;
}

export function runAgent(
  args: string[],
  env: Record<string, string>,
  onSpawn?: (pid: number, child: ChildProcess) => void,
) {
  return new Promise<AgentRun>((resolve, reject) => {
    const child = spawn(process.execPath, [AGENT, ...args], {
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/tmp',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.on('error', reject);
    if (onSpawn) onSpawn(child.pid!, child);
    child.on('close', code => {
      let events: any[];
      try {
        events = stdout
          .split('\n')
          .filter(Boolean)
          .map(l => JSON.parse(l));
      } catch {
        // a throw here would leave the promise pending until the test times out
        reject(new Error(`the agent's stdout is not NDJSON: ${stdout}`));
        return;
      }
      resolve({
        code,
        stdout,
        stderr,
        events,
        result: events.find(e => e.type === 'result'),
      });
    });
  });
}

/** The agent as runners start it: NDJSON events on stdout, ending with one result event. */
export const agent = (args: string[], env: Record<string, string>) =>
  runAgent([...args, '--events'], env);
