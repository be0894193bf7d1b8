import { Entity } from '@backstage/catalog-model';
import { ApiHolder, ApiRef, configApiRef } from '@backstage/core-plugin-api';
import { mockApis } from '@backstage/frontend-test-utils';
import { isDatabaseEntity } from './isDatabaseEntity';

const entity = (type: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'orders-db' },
  spec: { type },
});

/** The app's APIs: just a config. */
const apisWithConfig = (data?: object): ApiHolder => ({
  get: <T>(ref: ApiRef<T>) =>
    ref.id === configApiRef.id
      ? (mockApis.config({ data }) as unknown as T)
      : undefined,
});

// The predicate itself is tested in @backlot/plugin-db-backups-common; this is where its types come from.
describe('isDatabaseEntity of the frontend', () => {
  it('uses [database] without the app APIs (EntityLayout.Route)', () => {
    expect(isDatabaseEntity(entity('database'))).toBe(true);
    expect(isDatabaseEntity(entity('postgres'))).toBe(false);
  });

  it('reads dbBackups.entityTypes with them (EntitySwitch.Case)', () => {
    const apis = apisWithConfig({ dbBackups: { entityTypes: ['postgres'] } });
    expect(isDatabaseEntity(entity('postgres'), { apis })).toBe(true);
    expect(isDatabaseEntity(entity('database'), { apis })).toBe(false);
    const unset = apisWithConfig();
    expect(isDatabaseEntity(entity('database'), { apis: unset })).toBe(true);
  });
});
