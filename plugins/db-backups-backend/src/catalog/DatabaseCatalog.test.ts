import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { readDbBackupsConfig } from '../config/DbBackupsConfig';
import { databaseEntity } from '../__testUtils__/fixtures';
import { DatabaseCatalog } from './DatabaseCatalog';

// The catalog itself is not under test: validate() is pure, and getDatabase reads a mock.
function catalogWith(dbBackups: object) {
  const config = readDbBackupsConfig(
    new ConfigReader({
      dbBackups: {
        connections: { main: { host: 'h', user: 'u', database: 'd' } },
        ...dbBackups,
      },
    }),
  );
  return new DatabaseCatalog(
    catalogServiceMock({ entities: [] }),
    mockServices.auth(),
    config,
  );
}

const kubernetes = { kubernetes: { namespace: 'backlot-jobs' } };
const local = catalogWith({});
const both = catalogWith(kubernetes);
const jobsByDefault = catalogWith({ runner: 'kubernetes', ...kubernetes });

const validate = (
  catalog: DatabaseCatalog,
  annotations: Record<string, string>,
) => catalog.validate(databaseEntity('orders-db', annotations));

describe('DatabaseCatalog runner', () => {
  it('resolves the runner: the annotation, else dbBackups.runner', () => {
    const connection = { 'backlot.dev/connection': 'main' };
    expect(validate(local, connection).settings.runner).toBe('local');
    expect(validate(jobsByDefault, connection).settings.runner).toBe(
      'kubernetes',
    );
    const entry = validate(both, {
      ...connection,
      'backlot.dev/runner': 'kubernetes',
    });
    expect(entry.settings.runner).toBe('kubernetes');
    expect(entry.problems).toEqual([]);
    expect(
      validate(jobsByDefault, { ...connection, 'backlot.dev/runner': 'local' })
        .settings.runner,
    ).toBe('local');
  });

  it('reports backlot.dev/runner: kubernetes on a backend without dbBackups.kubernetes', () => {
    expect(
      validate(local, {
        'backlot.dev/connection': 'main',
        'backlot.dev/runner': 'kubernetes',
      }).problems,
    ).toEqual([
      {
        annotation: 'backlot.dev/runner',
        message:
          'kubernetes, but this backend has no kubernetes runner: configure dbBackups.kubernetes or remove the annotation',
      },
    ]);
  });

  it('allows a connection-secret in the Jobs namespace when the entity runs as Jobs', () => {
    const secret = { 'backlot.dev/connection-secret': 'backlot-jobs/orders' };
    expect(validate(jobsByDefault, secret).problems).toEqual([]);
    expect(
      validate(both, { ...secret, 'backlot.dev/runner': 'kubernetes' })
        .problems,
    ).toEqual([]);
  });

  it('reports a connection-secret for a local run, saying how to run it as a Job', () => {
    const secret = { 'backlot.dev/connection-secret': 'backlot-jobs/orders' };
    const [withoutK8s] = validate(local, secret).problems;
    expect(withoutK8s.annotation).toBe('backlot.dev/connection-secret');
    expect(withoutK8s.message).toContain(
      'set backlot.dev/runner: kubernetes (or dbBackups.runner: kubernetes) with dbBackups.kubernetes configured',
    );
    const [withK8s] = validate(both, secret).problems;
    expect(withK8s.message).toContain(
      'set backlot.dev/runner: kubernetes (or dbBackups.runner: kubernetes), or name a connection',
    );
  });

  it('reports a connection-secret in another namespace than the Jobs', () => {
    expect(
      validate(jobsByDefault, {
        'backlot.dev/connection-secret': 'team-a/orders',
      }).problems,
    ).toEqual([
      {
        annotation: 'backlot.dev/connection-secret',
        message:
          'the Secret is in namespace team-a and the Jobs run in backlot-jobs; a pod can read Secrets of its own namespace only: put the Secret in backlot-jobs',
      },
    ]);
  });

  it('reports a connection and a connection-secret together', () => {
    expect(
      validate(jobsByDefault, {
        'backlot.dev/connection': 'main',
        'backlot.dev/connection-secret': 'backlot-jobs/orders',
      }).problems.map(p => p.message),
    ).toEqual([expect.stringContaining('not both')]);
  });

  it('gives entries read from the catalog their resolved runner', async () => {
    const config = readDbBackupsConfig(
      new ConfigReader({ dbBackups: { runner: 'kubernetes', ...kubernetes } }),
    );
    const catalog = new DatabaseCatalog(
      catalogServiceMock({
        entities: [
          databaseEntity('orders-db', {
            'backlot.dev/connection-secret': 'backlot-jobs/orders',
          }),
        ],
      }),
      mockServices.auth(),
      config,
    );
    const entry = await catalog.getDatabase('resource:default/orders-db');
    expect(entry?.settings).toMatchObject({
      runner: 'kubernetes',
      connectionSecret: 'backlot-jobs/orders',
    });
    expect(entry?.problems).toEqual([]);
  });
});
