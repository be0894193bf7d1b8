import { EXIT_CODES } from '../contract';
import { Reporter } from '../cli/reporter';
import { findClients } from '../postgres/pgClients';
import { openStore } from '../storage/openStore';

export interface CheckOptions {
  json?: boolean;
  to?: string;
}

/** Lists the pg clients found and, with --to, whether the store can be written. */
export async function check(options: CheckOptions, reporter: Reporter) {
  const clients = await findClients();
  let storage: { url: string; ok: boolean; error?: string } | undefined;
  if (options.to) {
    try {
      await openStore(options.to).check();
      storage = { url: options.to, ok: true };
    } catch (error) {
      storage = { url: options.to, ok: false, error: (error as Error).message };
    }
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ clients, storage })}\n`);
  } else {
    for (const c of clients)
      process.stdout.write(`pg client ${c.major} (${c.version}): ${c.dir}\n`);
    if (!clients.length) process.stdout.write('no pg clients found\n');
    if (storage)
      process.stdout.write(
        `storage ${storage.url}: ${storage.ok ? 'ok' : storage.error}\n`,
      );
  }
  if (storage && !storage.ok) reporter.log(storage.error!);
  if (!clients.length) {
    reporter.log(
      'no pg_dump found: install postgresql-client-<major> or point BACKLOT_PG_BIN_DIRS at its bin directory',
    );
    return EXIT_CODES.noClient;
  }
  return storage && !storage.ok ? EXIT_CODES.storage : EXIT_CODES.ok;
}
