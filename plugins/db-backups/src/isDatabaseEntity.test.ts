import { Entity } from '@backstage/catalog-model';
import { isDatabaseEntity } from './isDatabaseEntity';

function entity(kind: string, type?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata: { name: 'orders-db' },
    spec: type === undefined ? {} : { type },
  };
}

describe('isDatabaseEntity', () => {
  it('accepts a Resource of type database', () => {
    expect(isDatabaseEntity(entity('Resource', 'database'))).toBe(true);
  });

  it('matches the kind case-insensitively', () => {
    expect(isDatabaseEntity(entity('resource', 'database'))).toBe(true);
    expect(isDatabaseEntity(entity('RESOURCE', 'database'))).toBe(true);
  });

  it('rejects a Component, even of type database', () => {
    expect(isDatabaseEntity(entity('Component', 'database'))).toBe(false);
    expect(isDatabaseEntity(entity('Component', 'service'))).toBe(false);
  });

  it('rejects a Resource of another type or without a type', () => {
    expect(isDatabaseEntity(entity('Resource', 's3-bucket'))).toBe(false);
    expect(isDatabaseEntity(entity('Resource'))).toBe(false);
    expect(
      isDatabaseEntity({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Resource',
        metadata: { name: 'no-spec' },
      }),
    ).toBe(false);
  });
});
