export interface TestbedS3 {
  /** e.g. http://127.0.0.1:55490; clients must use path-style requests (an IP has no bucket subdomains). */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: true;
}

import type { TestbedTls } from './tls';

export interface TestbedInfo {
  /** server major -> libpq URL of its `postgres` database, the password percent-encoded */
  postgres: Record<string, string>;
  /** client major -> directory holding pg_dump, pg_dumpall, pg_restore and psql of that major */
  pgBin: Record<string, string>;
  s3?: TestbedS3;
  /** the superuser's password, raw (it is deliberately full of characters that need quoting) */
  password: string;
  user: string;
  host: string;
  /** server major -> port, and `s3` -> port when S3 runs */
  ports: Record<string, number>;
  /** the private CA, certificates and roles of the servers' TLS */
  tls: TestbedTls;
  /** demo database name -> URL, present after seeding */
  demo?: Record<string, string>;
}

export interface TestbedUpOptions {
  /** server majors to run (default: all of 14-18) */
  pg?: number[];
  s3?: boolean;
  seed?: 'demo';
  /** client majors to provide (default 15, 17, 18; [] for none) */
  clients?: number[];
}
