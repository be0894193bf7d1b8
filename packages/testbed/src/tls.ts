import fs from 'node:fs';
import path from 'node:path';
import { stateDir } from './config';
import { withClient } from './databases';
import { run } from './exec';
import { giveToServerUser } from './osuser';

/** A role that may connect only over TLS (pg_hba rejects it in the clear). */
export const TLS_ONLY_USER = 'backlot_tls_only';
/** A role that authenticates with a client certificate signed by the testbed CA. */
export const CERT_USER = 'backlot_cert';

export interface TestbedTls {
  /** the CA that signed the servers' and the client's certificates */
  caFile: string;
  /** a CA that signed nothing here: verification against it fails */
  otherCaFile: string;
  /** the servers' certificate names only this host (DNS:localhost), not 127.0.0.1 */
  serverName: string;
  /** client certificate and key of CERT_USER */
  clientCertFile: string;
  clientKeyFile: string;
  tlsOnlyUser: string;
  certUser: string;
}

function tlsDir(): string {
  return path.join(stateDir(), 'tls');
}

export function tlsInfo(): TestbedTls {
  const dir = tlsDir();
  return {
    caFile: path.join(dir, 'ca.crt'),
    otherCaFile: path.join(dir, 'other-ca.crt'),
    serverName: 'localhost',
    clientCertFile: path.join(dir, `${CERT_USER}.crt`),
    clientKeyFile: path.join(dir, `${CERT_USER}.key`),
    tlsOnlyUser: TLS_ONLY_USER,
    certUser: CERT_USER,
  };
}

export function serverCertFiles() {
  const dir = tlsDir();
  return {
    cert: path.join(dir, 'server.crt'),
    key: path.join(dir, 'server.key'),
    ca: path.join(dir, 'ca.crt'),
  };
}

export async function openssl(args: string[], cwd: string) {
  try {
    await run('openssl', args, { cwd });
  } catch (error: any) {
    if (error.code !== 'ENOENT') throw error;
    throw new Error(
      'openssl is not installed; the testbed makes its TLS certificates with it (apt-get install openssl)',
    );
  }
}

export async function newCa(dir: string, name: string, cn: string) {
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
}

/** A key and a certificate `<name>.{key,crt}` in `dir`, signed by the `ca.{crt,key}` there; `org` adds an O= (a group). */
export async function signedCert(
  dir: string,
  name: string,
  cn: string,
  extensions: string,
  org?: string,
) {
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  await openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      org ? `/O=${org}/CN=${cn}` : `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    ],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
  fs.chmodSync(path.join(dir, `${name}.key`), 0o600);
}

/**
 * A private CA with a server certificate for all testbed servers and a client certificate, made once
 * with openssl: what users with `sslmode=verify-full` and their own CA have.
 */
export async function ensureCertificates(): Promise<void> {
  const dir = tlsDir();
  if (fs.existsSync(path.join(dir, 'complete'))) return;
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  await newCa(tmp, 'ca', 'Backlot testbed CA');
  await newCa(tmp, 'other-ca', 'Backlot testbed, an unrelated CA');
  await signedCert(
    tmp,
    'server',
    'localhost',
    'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await signedCert(tmp, CERT_USER, CERT_USER, 'extendedKeyUsage=clientAuth\n');
  fs.writeFileSync(path.join(tmp, 'complete'), '');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  fs.chmodSync(dir, 0o755);
  // the server refuses a key that others can read, and runs as the postgres OS user
  await giveToServerUser(path.join(dir, 'server.key'));
}

/**
 * pg_hba.conf of every testbed server: passwords over TCP, plus the TLS-only and certificate roles. A server
 * without TLS (the plain one, built without openssl) gets no `cert` line: such a build rejects the method, and
 * one invalid line makes the whole file fail to load.
 */
export function hbaLines(ssl = true): string {
  return [
    '# written by the testbed at every start',
    'local       all          all                            peer',
    `hostnossl   all          ${TLS_ONLY_USER}   127.0.0.1/32  reject`,
    ...(ssl
      ? [`hostssl     all          ${CERT_USER}       127.0.0.1/32  cert`]
      : []),
    'host        all          all                127.0.0.1/32  scram-sha-256',
    'host        all          all                ::1/128       scram-sha-256',
    'local       replication  all                              peer',
    'host        replication  all                127.0.0.1/32  scram-sha-256',
    '',
  ].join('\n');
}

/**
 * Creates (or brings up to date) the TLS-only and the certificate role on the server of `major`. Both
 * may read all data, so they can back up any database; the TLS-only one has the superuser's password.
 */
export async function ensureTlsRolesOn(
  major: number,
  password: string,
): Promise<void> {
  await withClient(major, 'postgres', async client => {
    for (const role of [TLS_ONLY_USER, CERT_USER]) {
      await client.query(`do $$ begin
        if not exists (select from pg_roles where rolname = '${role}') then create role ${role} login; end if;
      end $$`);
      await client.query(`grant pg_read_all_data to ${role}`);
    }
    const quoted = (
      await client.query('select quote_literal($1::text) as q', [password])
    ).rows[0].q;
    await client.query(`alter role ${TLS_ONLY_USER} password ${quoted}`);
  });
}
