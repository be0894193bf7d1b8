import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stateDir } from './config';

/**
 * Every character that tends to break naive URL building, .pgpass files, shell quoting or SQL literals. The
 * unicode letters are NFKC-stable so SCRAM's SASLprep leaves them as they are on every client.
 */
const HOSTILE = `@:/?#%'"\\ &=+;$!é中`;

function passwordFile(): string {
  return path.join(stateDir(), 'password');
}

/** The superuser password: generated once per state dir, kept in a 0600 file, never passed on a command line. */
export function loadOrCreatePassword(): string {
  const file = passwordFile();
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const password = `Tb-${crypto
    .randomBytes(9)
    .toString('base64url')}${HOSTILE}end`;
  // wx: if another process won the race, use its password rather than overwrite it.
  try {
    fs.writeFileSync(file, password, { mode: 0o600, flag: 'wx' });
    return password;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return fs.readFileSync(file, 'utf8');
  }
}

export function readPassword(): string | undefined {
  try {
    return fs.readFileSync(passwordFile(), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Percent-encodes everything but unreserved characters. encodeURIComponent leaves ' ( ) * ! alone, which is valid
 * in a URL but bites anyone who pastes the URL into a shell; libpq decodes all of them.
 */
export function encodeUserInfo(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
