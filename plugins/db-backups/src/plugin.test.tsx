import { Entity } from '@backstage/catalog-model';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { configApiRef } from '@backstage/frontend-plugin-api';
import { mockApis } from '@backstage/frontend-test-utils';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { backupsEntityContent } from './plugin';

const entity = (kind: string, type: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name: 'orders-db' },
  spec: { type },
});

function tabFilter(config?: object) {
  return createExtensionTester(backupsEntityContent, {
    apis: config
      ? [[configApiRef, mockApis.config({ data: config })]]
      : undefined,
  }).get(EntityContentBlueprint.dataRefs.filterFunction)!;
}

describe('the Backups tab', () => {
  it('is on Resources of type database by default', () => {
    const filter = tabFilter();
    expect(filter(entity('Resource', 'database'))).toBe(true);
    expect(filter(entity('Resource', 'postgres'))).toBe(false);
    expect(filter(entity('Component', 'database'))).toBe(false);
  });

  it('is on the types of dbBackups.entityTypes', () => {
    const filter = tabFilter({
      dbBackups: { entityTypes: ['postgres', 'pg'] },
    });
    expect(filter(entity('Resource', 'postgres'))).toBe(true);
    expect(filter(entity('resource', 'pg'))).toBe(true);
    expect(filter(entity('Resource', 'database'))).toBe(false);
  });
});
