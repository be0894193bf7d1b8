import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { runAgent } from './agentProcess';

// How a cancelled run's agent is stopped: SIGTERM, so that it can abort its upload and remove what
// it wrote, and SIGKILL when it does not exit within the grace.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-agent-stop-'));
const agent = (name: string, onTerm: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `process.on('SIGTERM', () => { ${onTerm} });
process.stdout.write(JSON.stringify({ type: 'start' }) + '\\n');
setInterval(() => {}, 1000);
`,
  );
  return file;
};

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function stopped(agentBin: string) {
  const controller = new AbortController();
  return runAgent({
    agentBin,
    args: [],
    env: {},
    logger: mockServices.logger.mock(),
    signal: controller.signal,
    killAfterMs: 500,
    // abort once the agent is up and has its SIGTERM handler
    onEvent: async () => controller.abort('user:default/guest'),
  });
}

describe('runAgent on abort', () => {
  it('sends SIGTERM and lets the agent clean up and exit', async () => {
    const exit = await stopped(
      agent(
        'cleans-up.js',
        "process.stderr.write('removed'); process.exit(130);",
      ),
    );
    expect(exit).toMatchObject({
      code: 130,
      signal: null,
      stderrTail: 'removed',
    });
  });

  it('kills an agent that does not exit within the grace', async () => {
    const started = Date.now();
    const exit = await stopped(agent('ignores.js', '/* ignored */'));
    expect(exit.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });
});
