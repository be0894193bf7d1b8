import { ConfigReader } from '@backstage/config';
import { readDbBackupsConfig } from './DbBackupsConfig';

describe('readDbBackupsConfig roles', () => {
  it('stores the roles without password hashes by default', () => {
    expect(readDbBackupsConfig(new ConfigReader({})).roles).toEqual({
      include: true,
      passwords: false,
    });
  });

  it('reads dbBackups.roles', () => {
    const roles = (data: object) =>
      readDbBackupsConfig(new ConfigReader({ dbBackups: { roles: data } }))
        .roles;
    expect(roles({ passwords: true })).toEqual({
      include: true,
      passwords: true,
    });
    expect(roles({ include: false })).toEqual({
      include: false,
      passwords: false,
    });
  });

  it('names the setting when it is not a boolean', () => {
    expect(() =>
      readDbBackupsConfig(
        new ConfigReader({ dbBackups: { roles: { passwords: 'maybe' } } }),
      ),
    ).toThrow(/dbBackups\.roles\.passwords/);
  });
});

describe('readDbBackupsConfig connections', () => {
  const connection = (extra: object) =>
    new ConfigReader({
      dbBackups: {
        connections: {
          orders: { host: 'db', user: 'u', database: 'orders', ...extra },
        },
      },
    });

  it('reads the TLS settings that reach the agent as PGSSLMODE, PGSSLROOTCERT, PGSSLCERT and PGSSLKEY', () => {
    const config = readDbBackupsConfig(
      connection({
        sslmode: 'verify-full',
        sslrootcert: '/etc/ssl/private-ca.crt',
        sslcert: '/etc/backlot/client.crt',
        sslkey: '/etc/backlot/client.key',
      }),
    );
    expect(config.connections.get('orders')).toMatchObject({
      port: 5432,
      sslmode: 'verify-full',
      sslrootcert: '/etc/ssl/private-ca.crt',
      sslcert: '/etc/backlot/client.crt',
      sslkey: '/etc/backlot/client.key',
    });
  });

  it('refuses an sslmode libpq does not know, naming the key', () => {
    expect(() =>
      readDbBackupsConfig(connection({ sslmode: 'required' })),
    ).toThrow(
      'dbBackups.connections.orders.sslmode is "required"; use one of disable, allow, prefer, require, verify-ca, verify-full',
    );
  });
});
