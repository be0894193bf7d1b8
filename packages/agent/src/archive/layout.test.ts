import os from 'node:os';
import { artifactKeysOf, defaultEntity, newArtifactKeys } from './layout';

describe('the artifact key layout', () => {
  it('puts every object of a backup in one folder per entity and day (UTC)', () => {
    const keys = newArtifactKeys(
      'default/orders-db',
      'run-1',
      new Date('2026-03-04T23:30:00-05:00'),
    );
    expect(keys).toMatchObject({
      dump: 'default/orders-db/2026/03/05/run-1.dump',
      manifest: 'default/orders-db/2026/03/05/run-1.manifest.json',
      globals: 'default/orders-db/2026/03/05/run-1.globals.sql',
    });
    expect(keys.file('toc.dat')).toBe(
      'default/orders-db/2026/03/05/run-1.dump/toc.dat',
    );
    expect(artifactKeysOf('s3://b/p/run-1.dump').manifest).toBe(
      's3://b/p/run-1.manifest.json',
    );
  });

  it('refuses what is not an entity, a run id or a dump', () => {
    expect(() => newArtifactKeys('a/b/c', 'r', new Date())).toThrow(
      '--entity "a/b/c" is not <namespace>/<name>',
    );
    expect(() => newArtifactKeys('a/b', 'r/../x', new Date())).toThrow(
      '--run-id "r/../x" may hold only letters, digits and dashes',
    );
    expect(() => artifactKeysOf('file:///b/run.tar')).toThrow(
      'must be the URL of a .dump',
    );
  });
});

describe('defaultEntity', () => {
  it('is default/<the database libpq connects to>: PGDATABASE, else the user name', () => {
    expect(defaultEntity({ PGDATABASE: 'orders', PGUSER: 'backup' })).toBe(
      'default/orders',
    );
    expect(defaultEntity({ PGUSER: 'backup' })).toBe('default/backup');
    expect(defaultEntity({})).toBe(`default/${os.userInfo().username}`);
  });

  it('asks for --entity when the database name cannot be an entity name', () => {
    expect(() => defaultEntity({ PGDATABASE: 'my db' })).toThrow(
      'the database name "my db" cannot be an entity\'s name',
    );
  });
});
