import {
  createDatabase,
  ensureTlsRoles,
  testbedUp,
  TestbedInfo,
} from '@backlot/testbed';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { EXIT_CODES } from '../contract';
import { resolveLibpqEnv } from './libpqEnv';
import { runAgent } from '../__testUtils__/runAgent';

jest.setTimeout(180_000);

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-libpq-'));

// characters that break URLs, service files (# ;) and shell quoting alike
const PASSWORD = `p@ss:w/rd#;=%'"\\ é`;

describe('resolveLibpqEnv', () => {
  const serviceFile = (text: string) => {
    const file = path.join(tmp(), 'pg_service.conf');
    fs.writeFileSync(file, text);
    return file;
  };

  it('expands a service over the environment, and a URL over both, as libpq ranks them', () => {
    const file = serviceFile(
      [
        '# a comment',
        '[other]',
        'host=wrong.example',
        '[orders]',
        'host=db.example',
        'port=6543',
        `password=${PASSWORD}`,
        'sslmode=verify-full',
        '[after]',
        'host=also-wrong.example',
        '',
      ].join('\n'),
    );
    const env = resolveLibpqEnv({
      PGSERVICEFILE: file,
      PGSERVICE: 'orders',
      PGHOST: 'env.example',
      PGUSER: 'env-user',
      PGDATABASE: 'env-db',
    });
    expect(env).toMatchObject({
      PGHOST: 'db.example',
      PGPORT: '6543',
      PGPASSWORD: PASSWORD,
      PGSSLMODE: 'verify-full',
      PGUSER: 'env-user',
      PGDATABASE: 'env-db',
    });
    expect(env.PGSERVICE).toBeUndefined();

    const fromUrl = resolveLibpqEnv(
      { PGSERVICEFILE: file, PGSERVICE: 'orders', PGUSER: 'env-user' },
      {
        url: `postgresql://u%40x:${encodeURIComponent(
          PASSWORD,
        )}@[::1]:7000/my%20db?sslrootcert=%2Fca.crt&application_name=nightly`,
        what: '--target-url',
      },
    );
    expect(fromUrl).toMatchObject({
      PGHOST: '::1',
      PGPORT: '7000',
      PGUSER: 'u@x',
      PGPASSWORD: PASSWORD,
      PGDATABASE: 'my db',
      PGSSLMODE: 'verify-full', // from the service: the URL does not set it
      PGSSLROOTCERT: '/ca.crt',
      PGAPPNAME: 'nightly',
    });
  });

  it('says what is wrong with a service or URL, without repeating the URL', () => {
    const file = serviceFile(
      '[orders]\nhost=db\nbogus=1\n[syntax]\nnoequals\n',
    );
    expect(() =>
      resolveLibpqEnv({ PGSERVICEFILE: file, PGSERVICE: 'missing' }),
    ).toThrow(/definition of service "missing" not found/);
    expect(() =>
      resolveLibpqEnv({ PGSERVICEFILE: file, PGSERVICE: 'orders' }),
    ).toThrow(/service "orders": "bogus" is not a libpq connection parameter/);
    expect(() =>
      resolveLibpqEnv({ PGSERVICEFILE: file, PGSERVICE: 'syntax' }),
    ).toThrow(/syntax error in service file ".*", line 5/);
    const secret = `postgresql://u:${encodeURIComponent(
      PASSWORD,
    )}@h1:5432,h2:5432/db`;
    expect(() =>
      resolveLibpqEnv({}, { url: secret, what: '--target-url' }),
    ).toThrow(/--target-url names several hosts/);
    const url = `postgresql://u:${encodeURIComponent(
      PASSWORD,
    )}@h/db?keepalives=0`;
    const thrown = (() => {
      try {
        resolveLibpqEnv({}, { url, what: '--source-url' });
        return undefined;
      } catch (error) {
        return error as Error;
      }
    })();
    expect(thrown?.message).toMatch(
      /--source-url: "keepalives" cannot be passed on/,
    );
    expect(thrown?.message).not.toContain('postgresql://');
    expect(thrown?.message).not.toContain(encodeURIComponent(PASSWORD));
  });
});

describe('backlot-agent connects the way pg_dump does (TLS, services, password files)', () => {
  let testbed: TestbedInfo;
  let port: string;
  const database = 'backlot_agent_tls';
  const tools = () => ({
    BACKLOT_PG_BIN_DIRS: Object.values(testbed.pgBin).join(':'),
    BACKLOT_PG_SYSTEM_BINS: '0',
    HOME: tmp(), // no ~/.postgresql, ~/.pgpass or ~/.pg_service.conf of this machine's
  });

  beforeAll(async () => {
    testbed = await testbedUp({ pg: [18] });
    port = String(testbed.ports['18']);
    const url = await createDatabase(18, database);
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(
      'create table orders (id int primary key); insert into orders select generate_series(1, 10)',
    );
    await admin.end();
    await ensureTlsRoles(18);
  });

  /** A dump of the TLS-only role: pg_hba rejects it in the clear, so a success means both connections used TLS. */
  const dump = (env: Record<string, string>, extra: string[] = []) =>
    runAgent(
      [
        'dump',
        '--to',
        pathToFileURL(tmp()).href,
        '--entity',
        'default/tls',
        '--events',
        ...extra,
      ],
      { ...tools(), ...env },
    );
  const tlsOnly = (env: Record<string, string> = {}) => ({
    PGHOST: testbed.tls.serverName,
    PGPORT: port,
    PGUSER: testbed.tls.tlsOnlyUser,
    PGPASSWORD: testbed.password,
    PGDATABASE: database,
    ...env,
  });

  it('uses TLS when the server offers it and sslmode is unset (libpq: prefer)', async () => {
    const run = await dump(tlsOnly());
    expect(run.stderr).not.toContain(testbed.password);
    expect(run.result).toMatchObject({ status: 'succeeded', error: null });
    expect(run.code).toBe(EXIT_CODES.ok);
  });

  it('verifies the server with a private CA (verify-full), and refuses a name or a CA that does not match', async () => {
    const ca = { PGSSLMODE: 'verify-full', PGSSLROOTCERT: testbed.tls.caFile };
    const ok = await dump(tlsOnly(ca));
    expect(ok.result).toMatchObject({ status: 'succeeded', error: null });

    const byIp = await dump(tlsOnly({ ...ca, PGHOST: '127.0.0.1' }));
    expect(byIp.code).toBe(EXIT_CODES.connection);
    expect(byIp.result.error.message).toMatch(
      /certificate does not name "127\.0\.0\.1".*sslmode=verify-ca/,
    );
    // verify-ca checks the signer only, as libpq does
    const caOnly = await dump(
      tlsOnly({ ...ca, PGSSLMODE: 'verify-ca', PGHOST: '127.0.0.1' }),
    );
    expect(caOnly.result).toMatchObject({ status: 'succeeded', error: null });

    const otherCa = await dump(
      tlsOnly({ ...ca, PGSSLROOTCERT: testbed.tls.otherCaFile }),
    );
    expect(otherCa.code).toBe(EXIT_CODES.connection);
    expect(otherCa.result.error.message).toMatch(
      /cannot verify the certificate of localhost:\d+ .*set PGSSLROOTCERT/,
    );

    const noCa = await dump(tlsOnly({ PGSSLMODE: 'verify-full' }));
    expect(noCa.code).toBe(EXIT_CODES.usage);
    expect(noCa.result.error.message).toMatch(
      /root certificate file ".*\.postgresql\/root\.crt" does not exist/,
    );

    const clear = await dump(tlsOnly({ PGSSLMODE: 'disable' }));
    expect(clear.code).toBe(EXIT_CODES.connection);
    expect(clear.result.error.message).toContain('no encryption');

    const bogus = await dump(tlsOnly({ PGSSLMODE: 'required' }));
    expect(bogus.code).toBe(EXIT_CODES.usage);
    expect(bogus.result.error.message).toContain('invalid sslmode "required"');
  });

  it('authenticates with a client certificate (PGSSLCERT, PGSSLKEY)', async () => {
    const run = await dump({
      PGHOST: '127.0.0.1',
      PGPORT: port,
      PGUSER: testbed.tls.certUser,
      PGDATABASE: database,
      PGSSLMODE: 'verify-ca',
      PGSSLROOTCERT: testbed.tls.caFile,
      PGSSLCERT: testbed.tls.clientCertFile,
      PGSSLKEY: testbed.tls.clientKeyFile,
    });
    expect(run.result).toMatchObject({ status: 'succeeded', error: null });
  });

  it('connects through a service (PGSERVICE, PGSERVICEFILE) and reads the password from a password file', async () => {
    const dir = tmp();
    const serviceFile = path.join(dir, 'pg_service.conf');
    fs.writeFileSync(
      serviceFile,
      [
        '[orders]',
        `host=${testbed.tls.serverName}`,
        `port=${port}`,
        `user=${testbed.tls.tlsOnlyUser}`,
        `dbname=${database}`,
        'sslmode=verify-full',
        `sslrootcert=${testbed.tls.caFile}`,
        '',
      ].join('\n'),
    );
    const passFile = path.join(dir, 'pgpass');
    const escaped = testbed.password
      .replace(/\\/g, '\\\\')
      .replace(/:/g, '\\:');
    fs.writeFileSync(
      passFile,
      `*:${port}:${database}:${testbed.tls.tlsOnlyUser}:${escaped}\n`,
      { mode: 0o600 },
    );
    const run = await dump({
      PGSERVICEFILE: serviceFile,
      PGSERVICE: 'orders',
      PGPASSFILE: passFile,
    });
    expect(run.result).toMatchObject({ status: 'succeeded', error: null });

    const noPassword = await dump({
      PGSERVICEFILE: serviceFile,
      PGSERVICE: 'orders',
    });
    expect(noPassword.code).toBe(EXIT_CODES.connection);
    expect(noPassword.result.error.message).toMatch(
      /asks user "backlot_tls_only" for a password and none is set/,
    );
    // the limit catches a hang: a half-authenticated connection kept the agent alive for the
    // server's authentication_timeout (60 s); a run takes about a second
  }, 30_000);

  it('takes the TLS settings of a --source-url', async () => {
    const url = `postgresql://${testbed.tls.tlsOnlyUser}:${encodeURIComponent(
      testbed.password,
    )}@${
      testbed.tls.serverName
    }:${port}/${database}?sslmode=verify-full&sslrootcert=${encodeURIComponent(
      testbed.tls.caFile,
    )}`;
    const run = await dump({}, ['--source-url', url]);
    expect(run.stderr).not.toContain(testbed.password);
    expect(run.result).toMatchObject({ status: 'succeeded', error: null });
  });
});
