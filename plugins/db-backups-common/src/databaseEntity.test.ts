import { Entity } from '@backstage/catalog-model';
import { readDatabaseSettings } from './databaseEntity';

function database(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: 'orders-db',
      annotations: { 'backlot.dev/connection': 'main', ...annotations },
    },
    spec: { type: 'database' },
  };
}

describe('readDatabaseSettings backlot.dev/runner', () => {
  it('leaves the runner to the backend when the annotation is absent', () => {
    const { settings, problems } = readDatabaseSettings(database({}));
    expect(settings.runner).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it.each(['local', 'kubernetes'])('reads %s', runner => {
    const { settings, problems } = readDatabaseSettings(
      database({ 'backlot.dev/runner': ` ${runner} ` }),
    );
    expect(settings.runner).toBe(runner);
    expect(problems).toEqual([]);
  });

  it('reports a runner it does not know on the annotation, with what to write', () => {
    const { settings, problems } = readDatabaseSettings(
      database({ 'backlot.dev/runner': 'k8s' }),
    );
    expect(settings.runner).toBeUndefined();
    expect(problems).toEqual([
      {
        annotation: 'backlot.dev/runner',
        message:
          '"k8s" is not a runner; use local or kubernetes, or remove the annotation to use dbBackups.runner',
      },
    ]);
  });
});
