import { AgentError } from '../cli/errors';
import type { AgentErrorCode, ResultEvent } from './events';
import {
  describeExit,
  EXIT_CODE_OF,
  EXIT_CODES,
  EXIT_MEANINGS,
  exitNameOf,
} from './exits';

const result = (overrides: Partial<ResultEvent>): ResultEvent => ({
  type: 'result',
  status: 'succeeded',
  location: 'file:///b/run.dump',
  manifest: 'file:///b/run.manifest.json',
  key: 'run.dump',
  bytes: 10,
  sha256: 'abc',
  serverVersion: '16.4',
  pgDumpVersion: '17.2',
  error: null,
  errorsIgnored: null,
  peakRssBytes: 1,
  cpuSeconds: 0.1,
  ...overrides,
});

const failed = (code: AgentErrorCode, message: string) =>
  result({
    status: 'failed',
    location: null,
    manifest: null,
    key: null,
    bytes: null,
    sha256: null,
    error: { code, message },
  });

describe('exit codes', () => {
  it('gives every error code the exit code AgentError exits with, 7 for an incompatible target', () => {
    for (const code of Object.keys(EXIT_CODE_OF) as AgentErrorCode[]) {
      expect(new AgentError(code, 'x').exitCode).toBe(EXIT_CODE_OF[code]);
    }
    expect(EXIT_CODE_OF.incompatible_target).toBe(7);
    expect(exitNameOf(7)).toBe('incompatibleTarget');
    expect(exitNameOf(139)).toBeUndefined();
    expect(Object.keys(EXIT_MEANINGS).sort()).toEqual(
      Object.keys(EXIT_CODES).sort(),
    );
  });
});

describe('describeExit', () => {
  it('calls exit 0 with a succeeded result a success', () => {
    expect(
      describeExit({
        command: 'dump',
        code: 0,
        signal: null,
        result: result({}),
      }),
    ).toEqual({
      ok: true,
      exit: 'ok',
      message: 'backlot-agent dump succeeded',
    });
  });

  it("says the agent's own message when it reported one", () => {
    expect(
      describeExit({
        command: 'restore',
        code: 7,
        signal: null,
        result: failed('incompatible_target', 'extension "postgis" is missing'),
        stderrTail: 'backlot-agent: failed: …\n',
      }),
    ).toEqual({
      ok: false,
      exit: 'incompatibleTarget',
      message: 'extension "postgis" is missing',
    });
  });

  it('says how the agent ended and its last lines when no result came', () => {
    expect(
      describeExit({
        command: 'dump',
        code: null,
        signal: 'SIGKILL',
        stderrTail: 'a\nb\nc\nd\n',
      }),
    ).toEqual({
      ok: false,
      exit: undefined,
      message:
        'backlot-agent dump was killed by SIGKILL before reporting a result: b | c | d',
    });
    expect(
      describeExit({ command: 'verify', code: 5, signal: null, stderrTail: '' })
        .message,
    ).toBe(
      'backlot-agent verify exited with code 5 (could not read or write the storage) before reporting a result: no output',
    );
    expect(describeExit({ code: 139, signal: null }).message).toBe(
      'backlot-agent exited with code 139 before reporting a result: no output',
    );
  });

  it('never calls a run without a succeeded result, or with a non-zero exit, a success', () => {
    expect(describeExit({ command: 'prune', code: 0, signal: null })).toEqual({
      ok: false,
      exit: 'ok',
      message:
        'backlot-agent prune exited with code 0 (succeeded) before reporting a result: no output',
    });
    expect(
      describeExit({
        command: 'dump',
        code: 1,
        signal: null,
        result: result({}),
        stderrTail: 'crashed while closing\n',
      }),
    ).toEqual({
      ok: false,
      exit: 'other',
      message: `backlot-agent dump exited with code 1 (${EXIT_MEANINGS.other}) after reporting succeeded: crashed while closing`,
    });
  });
});
