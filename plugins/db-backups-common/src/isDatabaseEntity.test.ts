import { Entity } from '@backstage/catalog-model';
import { isDatabaseEntity, readDatabaseEntityTypes } from './isDatabaseEntity';

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

describe('isDatabaseEntity with dbBackups.entityTypes', () => {
  it('accepts exactly the configured types', () => {
    const types = ['database', 'postgres'];
    expect(isDatabaseEntity(entity('Resource', 'postgres'), types)).toBe(true);
    expect(isDatabaseEntity(entity('Resource', 'database'), types)).toBe(true);
    expect(isDatabaseEntity(entity('Resource', 'mysql'), types)).toBe(false);
    expect(isDatabaseEntity(entity('Component', 'postgres'), types)).toBe(
      false,
    );
    expect(isDatabaseEntity(entity('Resource', 'database'), ['pg'])).toBe(
      false,
    );
  });

  it('reads the types from config, [database] when unset', () => {
    // the one method of Config / ConfigApi it uses
    const config = (data: Record<string, string[]>) => ({
      getOptionalStringArray: (key: string) => data[key],
    });
    expect(
      readDatabaseEntityTypes(
        config({ 'dbBackups.entityTypes': ['pg', 'postgres'] }),
      ),
    ).toEqual(['pg', 'postgres']);
    expect(readDatabaseEntityTypes(config({}))).toEqual(['database']);
    expect(readDatabaseEntityTypes(undefined)).toEqual(['database']);
  });
});
