import { dbBackupsPlugin } from './plugin';

describe('db-backups', () => {
  it('should export plugin', () => {
    expect(dbBackupsPlugin).toBeDefined();
  });
});
