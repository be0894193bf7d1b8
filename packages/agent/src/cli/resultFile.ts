import fs from 'node:fs';
import { BACKLOT_ENV, ResultEvent } from '../contract';

/** What Kubernetes keeps of a container's termination message. */
export const RESULT_FILE_MAX_BYTES = 4096;

/**
 * The result event as it fits the termination message: the full event when it does, else with the
 * error message and the ignored-error examples cut (the counts and the codes are what a runner acts on).
 */
export function resultForFile(result: ResultEvent): string {
  const full = JSON.stringify(result);
  if (Buffer.byteLength(full) <= RESULT_FILE_MAX_BYTES) return full;
  const cut: ResultEvent = {
    ...result,
    errorsIgnored: result.errorsIgnored && {
      total: result.errorsIgnored.total,
      kinds: result.errorsIgnored.kinds
        .slice(0, 5)
        .map(k => ({ ...k, example: k.example.slice(0, 120) })),
    },
  };
  const room =
    RESULT_FILE_MAX_BYTES -
    Buffer.byteLength(JSON.stringify({ ...cut, error: null })) -
    200;
  if (cut.error) {
    cut.error = {
      code: cut.error.code,
      message: `${cut.error.message.slice(0, Math.max(room, 200))}…`,
    };
  }
  return JSON.stringify(cut);
}

/**
 * Writes the result where BACKLOT_RESULT_FILE says (a Job container's terminationMessagePath), so
 * that a runner learns the outcome from the pod's status even when it read none of the log.
 */
export function writeResultFile(
  result: ResultEvent,
  env: NodeJS.ProcessEnv = process.env,
) {
  const file = env[BACKLOT_ENV.resultFile];
  if (!file) return;
  try {
    fs.writeFileSync(file, resultForFile(result));
  } catch (error) {
    // the log's result event still says it; the runner falls back to the exit code
    process.stderr.write(
      `backlot-agent: cannot write the result to ${file}: ${
        (error as Error).message
      }\n`,
    );
  }
}
