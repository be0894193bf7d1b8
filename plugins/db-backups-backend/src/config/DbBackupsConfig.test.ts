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
