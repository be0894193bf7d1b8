/** backlot-agent's exit codes; the backend and scripts tell failures apart by them. */
export const EXIT_CODES = {
  ok: 0,
  other: 1,
  usage: 2,
  connection: 3,
  noClient: 4,
  storage: 5,
  verification: 6,
  /** the target server lacks what the archive needs (an extension, a library, a compression method) */
  incompatibleTarget: 7,
} as const;

export type AgentErrorCode =
  | 'usage'
  | 'connection'
  | 'auth'
  | 'no_client'
  | 'storage'
  | 'dump'
  | 'interrupted'
  | 'verification'
  | 'restore'
  | 'incompatible_target'
  | 'internal';

const EXIT_FOR: Record<AgentErrorCode, number> = {
  usage: EXIT_CODES.usage,
  connection: EXIT_CODES.connection,
  auth: EXIT_CODES.connection,
  no_client: EXIT_CODES.noClient,
  storage: EXIT_CODES.storage,
  dump: EXIT_CODES.other,
  interrupted: EXIT_CODES.other,
  verification: EXIT_CODES.verification,
  restore: EXIT_CODES.other,
  incompatible_target: EXIT_CODES.incompatibleTarget,
  internal: EXIT_CODES.other,
};

/** A failure with a message that says what failed and what to do about it. */
export class AgentError extends Error {
  readonly exitCode: number;

  constructor(readonly code: AgentErrorCode, message: string) {
    super(message);
    this.name = 'AgentError';
    this.exitCode = EXIT_FOR[code];
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
