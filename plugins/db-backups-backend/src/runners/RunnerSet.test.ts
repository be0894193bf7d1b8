import { Runner } from './Runner';
import { RunnerSet } from './RunnerSet';

const runner = (name: string) => ({ name } as Runner);
const local = runner('local');
const kubernetes = runner('kubernetes');

describe('RunnerSet', () => {
  it('has local always and kubernetes when configured, by name', () => {
    const localOnly = new RunnerSet({ local });
    expect(localOnly.byName('local')).toBe(local);
    expect(localOnly.byName('kubernetes')).toBeUndefined();
    expect(new RunnerSet({ local, kubernetes }).byName('kubernetes')).toBe(
      kubernetes,
    );
  });

  it('gives an entity its own runner, else the default', () => {
    const set = new RunnerSet({ local, kubernetes }, 'kubernetes');
    expect(set.default).toBe(kubernetes);
    expect(set.forEntity({})).toBe(kubernetes);
    expect(set.forEntity({ runner: 'local' })).toBe(local);
  });

  it('refuses a runner it does not have', () => {
    expect(() => new RunnerSet({ local }, 'kubernetes')).toThrow(
      'the default runner "kubernetes" is not configured',
    );
    expect(() =>
      new RunnerSet({ local }).forEntity({ runner: 'kubernetes' }),
    ).toThrow('the kubernetes runner is not configured on this backend');
  });
});
