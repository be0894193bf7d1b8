import { AuthService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotFoundError } from '@backstage/errors';
import {
  AnnotationProblem,
  CONNECTION_ANNOTATION,
  DatabaseSettings,
  isDatabaseEntity,
  readDatabaseSettings,
  RunnerName,
} from '@backlot/plugin-db-backups-common';
import { DbBackupsConfig } from '../config/DbBackupsConfig';
import { runnerProblems } from './runnerProblems';

/** A database entity's settings, its runner resolved: the annotation, else dbBackups.runner. */
export type DatabaseEntrySettings = DatabaseSettings & { runner: RunnerName };

/** A database entity with its validated settings and whatever is wrong with them. */
export interface DatabaseEntry {
  entity: Entity;
  settings: DatabaseEntrySettings;
  problems: AnnotationProblem[];
}

/** The database entities of the catalog, validated against the plugin's config. */
export class DatabaseCatalog {
  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly config: DbBackupsConfig,
  ) {}

  isDatabase(entity: Entity): boolean {
    return isDatabaseEntity(entity, this.config.entityTypes);
  }

  /** Every database entity; streamed in pages so 10,000 entities cost no more memory than a page. */
  async *streamDatabases(): AsyncIterable<DatabaseEntry[]> {
    const credentials = await this.auth.getOwnServiceCredentials();
    for await (const page of this.catalog.streamEntities(
      {
        filter: { kind: 'Resource', 'spec.type': this.config.entityTypes },
        fields: ['kind', 'metadata', 'spec'],
      },
      { credentials },
    )) {
      yield page.filter(e => this.isDatabase(e)).map(e => this.validate(e));
    }
  }

  async getDatabase(entityRef: string): Promise<DatabaseEntry | undefined> {
    const credentials = await this.auth.getOwnServiceCredentials();
    const entity = await this.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    return entity && this.isDatabase(entity)
      ? this.validate(entity)
      : undefined;
  }

  /** The database entity `entityRef`; NotFoundError when the catalog has no such database. */
  async requireDatabase(entityRef: string): Promise<DatabaseEntry> {
    const database = await this.getDatabase(entityRef);
    if (!database) {
      throw new NotFoundError(
        `${entityRef} is not a database entity in the catalog`,
      );
    }
    return database;
  }

  validate(entity: Entity): DatabaseEntry {
    const { settings, problems } = readDatabaseSettings(entity, {
      defaultSchedule: this.config.defaultCron,
      defaultTimezone: this.config.defaultTimezone,
      defaultCompression: this.config.defaultCompression,
    });
    const runner = settings.runner ?? this.config.runner;
    problems.push(...runnerProblems(settings, runner, this.config));
    if (
      settings.connection &&
      !this.config.connections.has(settings.connection)
    ) {
      const known = [...this.config.connections.keys()];
      problems.push({
        annotation: CONNECTION_ANNOTATION,
        message: `connection "${
          settings.connection
        }" is not defined in dbBackups.connections (app-config); ${
          known.length ? `defined: ${known.join(', ')}` : 'none is defined'
        }`,
      });
    }
    return {
      entity,
      settings: {
        ...settings,
        runner,
        entityRef: stringifyEntityRef(entity).toLocaleLowerCase('en-US'),
      },
      problems,
    };
  }
}
