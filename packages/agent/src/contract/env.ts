// Every environment variable the agent reads, by name, and builders for the ones a runner sets.
// A runner hands the agent its database connection, its pg clients and its storage credentials
// through the environment only (a Kubernetes Job's `env`, the local runner's child env), never argv.

/** The agent's own settings. */
export const BACKLOT_ENV = {
  /** colon-separated bin folders searched first for pg_dump/pg_restore/pg_dumpall */
  pgBinDirs: 'BACKLOT_PG_BIN_DIRS',
  /** '0': do not search /usr/lib/postgresql/<major>/bin */
  pgSystemBins: 'BACKLOT_PG_SYSTEM_BINS',
  /** where dump --jobs and S3 restores/verifies keep their local copy (default: the system temp folder) */
  tmpDir: 'BACKLOT_TMPDIR',
  /** server-side encryption of S3 objects: AES256 or aws:kms */
  s3Sse: 'BACKLOT_S3_SSE',
  s3SseKmsKeyId: 'BACKLOT_S3_SSE_KMS_KEY_ID',
  /** a file the result event is also written to, at most 4 KiB (a Kubernetes termination message) */
  resultFile: 'BACKLOT_RESULT_FILE',
} as const;

/** The AWS SDK's settings the agent reads itself for an s3:// store. */
export const S3_ENV = {
  /** an S3-compatible endpoint (path-style addressing, no optional checksums) */
  endpoint: 'AWS_ENDPOINT_URL_S3',
  /** read when AWS_ENDPOINT_URL_S3 is unset */
  endpointFallback: 'AWS_ENDPOINT_URL',
  region: 'AWS_REGION',
  /** read when AWS_REGION is unset (default us-east-1) */
  regionFallback: 'AWS_DEFAULT_REGION',
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  sessionToken: 'AWS_SESSION_TOKEN',
  /** '1' or '0'; default: path style when an endpoint is set */
  forcePathStyle: 'AWS_S3_FORCE_PATH_STYLE',
  /** WHEN_SUPPORTED or WHEN_REQUIRED */
  requestChecksumCalculation: 'AWS_REQUEST_CHECKSUM_CALCULATION',
  responseChecksumValidation: 'AWS_RESPONSE_CHECKSUM_VALIDATION',
} as const;

/**
 * What the AWS SDK's default credential chain reads when no access key is set (profiles, web
 * identity, container credentials): a runner passes these on as they are.
 */
export const AWS_CREDENTIAL_CHAIN_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
] as const;

/**
 * libpq's connection keywords and the environment variable each falls back to. The agent reads
 * them as libpq does and hands its children (pg_dump, pg_restore) their connection through these
 * variables only; a URL's keywords are turned into them.
 */
export const LIBPQ_ENV_OF_KEYWORD = {
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  dbname: 'PGDATABASE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  passfile: 'PGPASSFILE',
  service: 'PGSERVICE',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  client_encoding: 'PGCLIENTENCODING',
  channel_binding: 'PGCHANNELBINDING',
  require_auth: 'PGREQUIREAUTH',
  requirepeer: 'PGREQUIREPEER',
  sslmode: 'PGSSLMODE',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcertmode: 'PGSSLCERTMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  min_protocol_version: 'PGMINPROTOCOLVERSION',
  max_protocol_version: 'PGMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  krbsrvname: 'PGKRBSRVNAME',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
} as const;

/** Where libpq (and so the agent) looks up a PGSERVICE's definition. */
export const LIBPQ_SERVICE_FILE_ENV = [
  'PGSERVICEFILE',
  'PGSYSCONFDIR',
] as const;

/** Not the agent's own, but read: HOME for ~/.pgpass, ~/.pg_service.conf and ~/.postgresql/; USER is libpq's default user. */
export const SYSTEM_ENV = ['HOME', 'USER'] as const;

/**
 * The variables whose values are secrets: a runner keeps them out of anything it shows (a Job's
 * spec, a log, the run history) and hands them over in a Secret.
 */
export const SECRET_ENV_NAMES: readonly string[] = [
  LIBPQ_ENV_OF_KEYWORD.password,
  S3_ENV.accessKeyId,
  S3_ENV.secretAccessKey,
  S3_ENV.sessionToken,
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
];

/** Every variable the agent reads (an allow-list for a runner that passes an environment on). */
export const AGENT_ENV_NAMES: readonly string[] = [
  ...Object.values(BACKLOT_ENV),
  ...Object.values(S3_ENV),
  ...AWS_CREDENTIAL_CHAIN_ENV,
  ...Object.values(LIBPQ_ENV_OF_KEYWORD),
  ...LIBPQ_SERVICE_FILE_ENV,
  ...SYSTEM_ENV,
].filter((name, i, all) => all.indexOf(name) === i);

export const SSL_MODES = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** A database connection as a runner knows it; the password reaches the agent through PGPASSWORD only. */
export interface AgentConnection {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
  sslmode?: SslMode;
  /** libpq's TLS files, paths where the agent runs */
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
}

/** The libpq environment of a connection (PGHOST, PGPORT, ...); unset fields stay unset. */
export function connectionEnv(c: AgentConnection): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    PGDATABASE: c.database,
  };
  // an empty password is a password (libpq sends it); an empty TLS path is no path
  if (c.password !== undefined) env.PGPASSWORD = c.password;
  if (c.sslmode) env.PGSSLMODE = c.sslmode;
  if (c.sslrootcert) env.PGSSLROOTCERT = c.sslrootcert;
  if (c.sslcert) env.PGSSLCERT = c.sslcert;
  if (c.sslkey) env.PGSSLKEY = c.sslkey;
  return env;
}

/** Where the agent looks for pg clients: `pgBinDirs` first, then (unless turned off) /usr/lib/postgresql. */
export function clientsEnv(options: {
  pgBinDirs: string[];
  searchSystemBinDirs: boolean;
}): Record<string, string> {
  return {
    [BACKLOT_ENV.pgBinDirs]: options.pgBinDirs.join(':'),
    [BACKLOT_ENV.pgSystemBins]: options.searchSystemBinDirs ? '1' : '0',
  };
}
