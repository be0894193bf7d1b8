import fs from 'node:fs';
import path from 'node:path';
import { Client, ClientConfig } from 'pg';

/** __fixtures__/fidelity.sql: (nearly) every kind of object pg_dump handles, in a LATIN1 database; see its header. */
export const FIDELITY_SQL = path.join(
  __dirname,
  '../__fixtures__/fidelity.sql',
);

/** The cluster-wide roles the fixture creates (when missing) and uses as owners and grantees. */
export const FIDELITY_ROLES = [
  'fidelity_owner',
  'fidelity_writer',
  'Fidelity Reader',
];

/** Where the fixture's databases live: a server of the testbed, as the superuser. */
export type ServerConnection = Pick<
  ClientConfig,
  'host' | 'port' | 'user' | 'password'
>;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function withClient<T>(
  server: ServerConnection,
  database: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ ...server, database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function dropDatabase(server: ServerConnection, name: string) {
  await withClient(server, 'postgres', c =>
    c.query(`drop database if exists ${quote(name)} with (force)`),
  );
}

/**
 * Creates `name` (dropping an old one) the way the fixture needs it: not UTF8, so that a restore that loses
 * the database's encoding shows, and with the C locale, which every server has. Then loads fidelity.sql.
 */
export async function createFidelityDatabase(
  server: ServerConnection,
  name: string,
) {
  await dropDatabase(server, name);
  await withClient(server, 'postgres', c =>
    c.query(
      `create database ${quote(
        name,
      )} template template0 encoding 'LATIN1' locale 'C'`,
    ),
  );
  // node-postgres talks UTF8; the server converts to LATIN1 (the fixture keeps to Latin-1's letters)
  const sql = fs.readFileSync(FIDELITY_SQL, 'utf8');
  await withClient(server, name, c => c.query(sql));
}

/**
 * Makes a server "fresh" as far as the fixture's roles go, so that `restore --roles` has to create them:
 * drops the fixture's databases (fidelity_*, the only ones that use the roles), then the roles.
 */
export async function dropFidelityRoles(server: ServerConnection) {
  await withClient(server, 'postgres', async c => {
    const { rows } = await c.query(
      `select datname from pg_database where datname like 'fidelity\\_%'`,
    );
    for (const { datname } of rows)
      await c.query(`drop database ${quote(datname)} with (force)`);
    for (const role of FIDELITY_ROLES)
      await c.query(`drop role if exists ${quote(role)}`);
  });
}

/**
 * The fixture's roles as the server has them: attributes, comment, cluster-wide settings and memberships.
 * pg_dump leaves roles out, so they are compared on their own.
 */
export async function fidelityRoles(server: ServerConnection) {
  return withClient(server, 'postgres', async c => {
    const { rows } = await c.query(
      `select r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
              r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil,
              shobj_description(r.oid, 'pg_authid') as comment,
              (select s.setconfig from pg_db_role_setting s
                where s.setrole = r.oid and s.setdatabase = 0) as settings,
              array(select g.rolname || case when m.admin_option then ' (admin)' else '' end
                      from pg_auth_members m join pg_roles g on g.oid = m.roleid
                     where m.member = r.oid order by 1) as member_of
         from pg_roles r where r.rolname = any($1) order by r.rolname`,
      [FIDELITY_ROLES],
    );
    return rows;
  });
}
