import { pathRewriter } from './mounts';

describe('pathRewriter (the mount emulation)', () => {
  const rewrite = pathRewriter([
    { containerPath: '/data', hostPath: '/pods/u/volumes/work' },
    { containerPath: '/data/inner/', hostPath: '/pods/u/volumes/inner' },
    { containerPath: '/dev/termination-log', hostPath: '/pods/u/c/main/tl' },
  ]);

  it.each([
    ['/data', '/pods/u/volumes/work'],
    ['/data/', '/pods/u/volumes/work/'],
    ['/data/dump.bin', '/pods/u/volumes/work/dump.bin'],
    ['--file=/data/dump.bin', '--file=/pods/u/volumes/work/dump.bin'],
    ['a:/data:b', 'a:/pods/u/volumes/work:b'],
    ['echo hi > /dev/termination-log', 'echo hi > /pods/u/c/main/tl'],
    ['/data/inner/x', '/pods/u/volumes/inner/x'],
    ['/database', '/database'],
    ['/x/data', '/x/data'],
    ['/data.old', '/data.old'],
    ['relative/data', 'relative/data'],
  ])('%s -> %s', (input, output) => {
    expect(rewrite(input)).toBe(output);
  });

  it('leaves everything alone without mounts, and never maps /', () => {
    expect(pathRewriter([])('/data')).toBe('/data');
    expect(
      pathRewriter([{ containerPath: '/', hostPath: '/elsewhere' }])('/etc'),
    ).toBe('/etc');
  });
});
