import { Command } from 'commander';
import { createProgram } from '../cli/program';
import {
  checkArgs,
  dumpArgs,
  pruneArgs,
  restoreArgs,
  verifyArgs,
} from './argv';

/** The options the agent's own command line parses out of `argv`, without running anything. */
async function parsed(argv: string[]) {
  let seen: { command: string; options: unknown } | undefined;
  const capture = (command: string) => async (options: unknown) => {
    seen = { command, options };
  };
  await createProgram({
    check: capture('check'),
    dump: capture('dump'),
    restore: capture('restore'),
    verify: capture('verify'),
    prune: capture('prune'),
  }).parseAsync(argv, { from: 'user' });
  return seen!;
}

/** The long flags a command of the agent accepts. */
function flagsOf(command: string) {
  const program = createProgram({} as any) as Command;
  return program.commands
    .find(c => c.name() === command)!
    .options.map(o => o.long!);
}

describe('argv builders', () => {
  it('dump: every option reaches the agent as the agent parses it', async () => {
    const argv = dumpArgs({
      to: 's3://bucket/prefix',
      entity: 'default/orders-db',
      runId: 'run-1',
      sourceUrl: 'postgresql://backup@db/orders',
      compress: 'zstd:3',
      jobs: 4,
      rolePasswords: true,
    });
    expect(await parsed(argv)).toEqual({
      command: 'dump',
      options: {
        to: 's3://bucket/prefix',
        entity: 'default/orders-db',
        runId: 'run-1',
        sourceUrl: 'postgresql://backup@db/orders',
        compress: 'zstd:3',
        jobs: '4',
        globals: true,
        rolePasswords: true,
        events: true,
      },
    });
  });

  it('dump: the defaults are the agent’s, and no roles means no role passwords', async () => {
    expect(
      (await parsed(dumpArgs({ to: 'file:///b', entity: 'default/x' })))
        .options,
    ).toEqual({
      to: 'file:///b',
      entity: 'default/x',
      jobs: '1',
      globals: true,
      events: true,
    });
    const noRoles = dumpArgs({
      to: 'file:///b',
      entity: 'default/x',
      globals: false,
      rolePasswords: true,
      events: false,
    });
    expect(noRoles).toEqual([
      'dump',
      '--to',
      'file:///b',
      '--entity',
      'default/x',
      '--no-globals',
    ]);
    expect((await parsed(noRoles)).options).toMatchObject({ globals: false });
  });

  it('restore, verify, prune and check', async () => {
    expect(
      await parsed(
        restoreArgs({
          from: 's3://b/p/run.dump',
          targetUrl: 'postgresql://db/new',
          jobs: 2,
          create: true,
          roles: true,
          allowErrors: true,
        }),
      ),
    ).toEqual({
      command: 'restore',
      options: {
        from: 's3://b/p/run.dump',
        targetUrl: 'postgresql://db/new',
        jobs: '2',
        create: true,
        roles: true,
        allowErrors: true,
        events: true,
      },
    });
    expect(
      await parsed(verifyArgs({ from: 'file:///b/run.dump', scratch: true })),
    ).toEqual({
      command: 'verify',
      options: { from: 'file:///b/run.dump', scratch: true, events: true },
    });
    expect(
      (
        await parsed(
          verifyArgs({
            from: 'file:///b/run.dump',
            scratchUrl: 'postgresql://s/postgres',
          }),
        )
      ).options,
    ).toEqual({
      from: 'file:///b/run.dump',
      scratchUrl: 'postgresql://s/postgres',
      events: true,
    });
    expect(await parsed(pruneArgs({ from: 'file:///b/run.dump' }))).toEqual({
      command: 'prune',
      options: { from: 'file:///b/run.dump', events: true },
    });
    expect(await parsed(checkArgs({ to: 'file:///b', json: true }))).toEqual({
      command: 'check',
      options: { to: 'file:///b', json: true },
    });
    expect(checkArgs()).toEqual(['check']);
  });

  it('has a field for every flag of every command', () => {
    const produced = (...argvs: string[][]) =>
      new Set(argvs.flat().filter(a => a.startsWith('--')));
    const cases: [string, Set<string>][] = [
      [
        'dump',
        produced(
          dumpArgs({
            to: 't',
            entity: 'e',
            runId: 'r',
            sourceUrl: 's',
            compress: 'c',
            jobs: 2,
            rolePasswords: true,
          }),
          dumpArgs({ to: 't', globals: false }),
        ),
      ],
      [
        'restore',
        produced(
          restoreArgs({
            from: 'f',
            targetUrl: 't',
            jobs: 2,
            create: true,
            roles: true,
            allowErrors: true,
          }),
        ),
      ],
      [
        'verify',
        produced(verifyArgs({ from: 'f', scratchUrl: 's', scratch: true })),
      ],
      ['prune', produced(pruneArgs({ from: 'f' }))],
      ['check', produced(checkArgs({ to: 't', json: true }))],
    ];
    for (const [command, flags] of cases) {
      expect([...flags].sort()).toEqual(flagsOf(command).sort());
    }
  });
});
