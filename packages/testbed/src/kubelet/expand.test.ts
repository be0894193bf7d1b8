import { expand, lookupIn } from './expand';

const vars = lookupIn({ A: 'a', EMPTY: '', PGPASSWORD: 's3cr$t' });

describe('$(VAR) expansion, as the kubelet does it', () => {
  it.each([
    ['$(A)', 'a'],
    ['x$(A)y$(A)', 'xaya'],
    ['$(EMPTY)', ''],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$a'],
    ['$$', '$'],
    ['$(A', '$(A'],
    ['$A', '$A'],
    ['100$', '100$'],
    ['$(PGPASSWORD)', 's3cr$t'],
    ['$()', '$()'],
  ])('%s -> %s', (input, output) => {
    expect(expand(input, vars)).toBe(output);
  });

  it('later maps win, as the container env overrides what came before', () => {
    expect(expand('$(X)', lookupIn({ X: 'first' }, { X: 'second' }))).toBe(
      'second',
    );
  });
});
