// pgpass (node-postgres' .pgpass reader) ships no types; the agent uses these helpers of it.
declare module 'pgpass/lib/helper' {
  import type { Stats } from 'node:fs';
  import type { Readable } from 'node:stream';

  export interface PgPassConnInfo {
    host?: string;
    port?: number | string;
    database?: string;
    user?: string;
  }
  export function getFileName(env?: NodeJS.ProcessEnv): string;
  export function usePgPass(stats: Stats, file?: string): boolean;
  export function getPassword(
    connInfo: PgPassConnInfo,
    stream: Readable,
    cb: (password: string | undefined) => void,
  ): void;
}
