import { RunnerName } from '@backlot/plugin-db-backups-common';
import { Runner } from './Runner';

/**
 * The runners this backend has, by name: `local` always, `kubernetes` when configured. A run
 * records the name of the runner that executes it, so every later step of the run (and a prune of
 * its backup) goes to the same runner even when the entity's choice has changed since.
 */
export class RunnerSet {
  private readonly byNames: Map<string, Runner>;

  constructor(
    runners: { local: Runner; kubernetes?: Runner },
    /** dbBackups.runner: for entities without backlot.dev/runner */
    private readonly defaultName: RunnerName = 'local',
  ) {
    this.byNames = new Map(
      Object.values(runners)
        .filter((r): r is Runner => Boolean(r))
        .map(r => [r.name, r]),
    );
    if (!this.byNames.has(defaultName)) {
      throw new Error(`the default runner "${defaultName}" is not configured`);
    }
  }

  get default(): Runner {
    return this.byNames.get(this.defaultName)!;
  }

  byName(name: string): Runner | undefined {
    return this.byNames.get(name);
  }

  /**
   * The runner of an entity (its resolved settings.runner). DatabaseCatalog reports a runner the
   * backend lacks as an annotation problem, so reaching the throw is a bug, not a user mistake.
   */
  forEntity(settings: { runner?: RunnerName }): Runner {
    const name = settings.runner ?? this.defaultName;
    const runner = this.byNames.get(name);
    if (!runner) {
      throw new Error(`the ${name} runner is not configured on this backend`);
    }
    return runner;
  }
}
