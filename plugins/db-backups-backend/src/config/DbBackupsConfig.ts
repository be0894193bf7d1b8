import { Config, readDurationFromConfig } from '@backstage/config';
import { HumanDuration } from '@backstage/types';
import { SSL_MODES, SslMode } from '@backlot/agent';
import {
  readDatabaseEntityTypes,
  RUNNER_NAMES,
  RunnerName,
} from '@backlot/plugin-db-backups-common';
import { readStorageConfig, StorageConfig } from './storageConfig';
import { readKubernetesRunnerConfig } from './kubernetesConfig';
import { KubernetesRunnerConfig } from '../runners/kubernetes/KubernetesRunnerConfig';

/** A named connection from `dbBackups.connections`; the password never leaves the backend but through env. */
export interface ConnectionConfig {
  name: string;
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  sslmode?: SslMode;
  /** libpq's TLS files, paths on the backend's host */
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
}

export interface DbBackupsConfig {
  entityTypes: string[];
  connections: Map<string, ConnectionConfig>;
  storage: StorageConfig;
  /** the runner of entities without backlot.dev/runner */
  runner: RunnerName;
  /** set when the backend runs Kubernetes Jobs (dbBackups.kubernetes) */
  kubernetes?: KubernetesRunnerConfig;
  pgBinDirs: string[];
  searchSystemBinDirs: boolean;
  concurrency: number;
  defaultCron?: string;
  defaultTimezone: string;
  defaultCompression?: string;
  /** pg_dumpall --roles-only beside each dump, and whether with password hashes */
  roles: { include: boolean; passwords: boolean };
  /** Server for the scratch restores of verify runs. */
  scratchConnection?: ConnectionConfig;
  tickFrequency: HumanDuration;
  catalogSyncFrequency: HumanDuration;
}

function duration(config: Config, key: string, fallback: HumanDuration) {
  return config.has(key) ? readDurationFromConfig(config, { key }) : fallback;
}

function readSslMode(config: Config, key: string): SslMode | undefined {
  const mode = config.getOptionalString('sslmode');
  if (mode !== undefined && !(SSL_MODES as readonly string[]).includes(mode)) {
    throw new Error(`${key} is "${mode}"; use one of ${SSL_MODES.join(', ')}`);
  }
  return mode as SslMode | undefined;
}

function readRunner(
  config: Config | undefined,
  kubernetes: KubernetesRunnerConfig | undefined,
): RunnerName {
  const runner = config?.getOptionalString('runner') ?? 'local';
  if (!(RUNNER_NAMES as readonly string[]).includes(runner)) {
    throw new Error(
      `dbBackups.runner is "${runner}"; use one of ${RUNNER_NAMES.join(', ')}`,
    );
  }
  if (runner === 'kubernetes' && !kubernetes) {
    throw new Error(
      'dbBackups.runner is "kubernetes" but dbBackups.kubernetes is missing: give at least its namespace',
    );
  }
  return runner as RunnerName;
}

/** Reads and checks `dbBackups.*`; a mistake fails the backend's start with the key that is wrong. */
export function readDbBackupsConfig(root: Config): DbBackupsConfig {
  const config = root.getOptionalConfig('dbBackups');
  const connections = new Map<string, ConnectionConfig>();
  const connectionsConfig = config?.getOptionalConfig('connections');
  for (const name of connectionsConfig?.keys() ?? []) {
    const c = connectionsConfig!.getConfig(name);
    connections.set(name, {
      name,
      host: c.getString('host'),
      port: c.getOptionalNumber('port') ?? 5432,
      user: c.getString('user'),
      password: c.getOptionalString('password'),
      database: c.getString('database'),
      sslmode: readSslMode(c, `dbBackups.connections.${name}.sslmode`),
      sslrootcert: c.getOptionalString('sslrootcert'),
      sslcert: c.getOptionalString('sslcert'),
      sslkey: c.getOptionalString('sslkey'),
    });
  }

  const scratchName = config?.getOptionalString('verify.scratchConnection');
  if (scratchName && !connections.has(scratchName)) {
    throw new Error(
      `dbBackups.verify.scratchConnection "${scratchName}" is not a connection in dbBackups.connections`,
    );
  }

  const kubernetes = readKubernetesRunnerConfig(config);
  return {
    runner: readRunner(config, kubernetes),
    kubernetes,
    scratchConnection: scratchName ? connections.get(scratchName) : undefined,
    entityTypes: readDatabaseEntityTypes(root),
    connections,
    storage: readStorageConfig(config),
    pgBinDirs: config?.getOptionalStringArray('local.pgBinDirs') ?? [],
    searchSystemBinDirs:
      config?.getOptionalBoolean('local.searchSystemBinDirs') ?? true,
    concurrency: config?.getOptionalNumber('local.concurrency') ?? 2,
    defaultCron: config?.getOptionalString('schedule.defaultCron'),
    defaultCompression: config?.getOptionalString('compression'),
    roles: {
      include: config?.getOptionalBoolean('roles.include') ?? true,
      passwords: config?.getOptionalBoolean('roles.passwords') ?? false,
    },
    defaultTimezone:
      config?.getOptionalString('schedule.defaultTimezone') ?? 'UTC',
    tickFrequency: config
      ? duration(config, 'schedule.tickFrequency', { seconds: 10 })
      : { seconds: 10 },
    catalogSyncFrequency: config
      ? duration(config, 'schedule.catalogSyncFrequency', { seconds: 30 })
      : { seconds: 30 },
  };
}
