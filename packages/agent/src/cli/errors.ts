import { AgentErrorCode, EXIT_CODE_OF } from '../contract';

// the table lives in the contract, which the backend reads too
export { EXIT_CODES } from '../contract';
export type { AgentErrorCode } from '../contract';

/** A failure with a message that says what failed and what to do about it. */
export class AgentError extends Error {
  readonly exitCode: number;

  constructor(readonly code: AgentErrorCode, message: string) {
    super(message);
    this.name = 'AgentError';
    this.exitCode = EXIT_CODE_OF[code];
  }
}

export function toAgentError(error: unknown): AgentError {
  if (error instanceof AgentError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AgentError('internal', message);
}

const IO_REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a file stands where a folder should be',
  ENOENT: 'it does not exist',
  EIO: 'an I/O error on the device',
};

/** A file system error in words a person can act on. */
export function ioReason(error: any): string {
  return IO_REASONS[error?.code] ?? error?.message ?? String(error);
}

/** The C library's words for the errors above, as a program like pg_dump prints them. */
const STRERROR_CODES: Record<string, string> = {
  'No space left on device': 'ENOSPC',
  'Disk quota exceeded': 'EDQUOT',
  'Permission denied': 'EACCES',
  'Operation not permitted': 'EPERM',
  'Read-only file system': 'EROFS',
  'Not a directory': 'ENOTDIR',
  'No such file or directory': 'ENOENT',
  'Input/output error': 'EIO',
};

/** The same words for an error another program reported as text (strerror), else the text itself. */
export function ioReasonOfText(text: string): string {
  return IO_REASONS[STRERROR_CODES[text.trim()]] ?? text.trim();
}
