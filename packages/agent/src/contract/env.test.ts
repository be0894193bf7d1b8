import fs from 'node:fs';
import path from 'node:path';
import {
  AGENT_ENV_NAMES,
  clientsEnv,
  connectionEnv,
  LIBPQ_ENV_OF_KEYWORD,
} from './env';
import * as envModule from './env';

/** The agent's source files, tests, test helpers and the contract itself (its constants) left out. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name.startsWith('__') || entry.name === 'contract'
        ? []
        : sources(full);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)
      ? [full]
      : [];
  });
}

describe('the environment the agent reads', () => {
  it('names every BACKLOT_*, AWS_* and PG* variable the sources mention', () => {
    const mentioned = new Set(
      sources(path.resolve(__dirname, '..')).flatMap(file =>
        [
          ...fs
            .readFileSync(file, 'utf8')
            .matchAll(/\b(?:BACKLOT_[A-Z0-9_]+|AWS_[A-Z0-9_]+|PG[A-Z]+)\b/g),
        ].map(m => m[0]),
      ),
    );
    // the contract's own constants (BACKLOT_ENV.resultFile) are names of names, not variables
    const constants = new Set(Object.keys(envModule));
    expect(
      [...mentioned].filter(
        name => !AGENT_ENV_NAMES.includes(name) && !constants.has(name),
      ),
    ).toEqual([]);
    expect(mentioned.has('BACKLOT_TMPDIR')).toBe(true);
  });

  it('builds a connection’s libpq environment, the password in PGPASSWORD only', () => {
    expect(
      connectionEnv({
        host: 'db',
        port: 5433,
        user: 'backup',
        database: 'orders',
        password: 's3cret',
        sslmode: 'verify-full',
        sslrootcert: '/ca.crt',
      }),
    ).toEqual({
      PGHOST: 'db',
      PGPORT: '5433',
      PGUSER: 'backup',
      PGDATABASE: 'orders',
      PGPASSWORD: 's3cret',
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/ca.crt',
    });
    for (const name of Object.keys(
      connectionEnv({ host: 'h', port: 1, user: 'u', database: 'd' }),
    )) {
      expect(Object.values(LIBPQ_ENV_OF_KEYWORD)).toContain(name);
    }
  });

  it('tells the agent where its pg clients are', () => {
    expect(
      clientsEnv({
        pgBinDirs: ['/a/bin', '/b/bin'],
        searchSystemBinDirs: false,
      }),
    ).toEqual({
      BACKLOT_PG_BIN_DIRS: '/a/bin:/b/bin',
      BACKLOT_PG_SYSTEM_BINS: '0',
    });
  });
});
