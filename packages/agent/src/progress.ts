import { Reporter } from './events';

const MB = 1_000_000;

/**
 * Progress of one dump: NDJSON progress events at most once a second for the backend, and for a
 * human on stderr a line redrawn in place on a terminal, or a line every 10 s in a log.
 */
export class DumpProgress {
  private bytes = 0;
  private tablesDone = 0;
  private lastEvent = 0;
  private lastHuman = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly reporter: Reporter,
    private readonly totals: { tables: number; databaseBytes: number },
  ) {}

  onBytes(bytes: number) {
    this.bytes = bytes;
    this.report(false);
  }

  /** pg_dump --verbose says "dumping contents of table …" as it starts each table's data. */
  onStderrLine(line: string) {
    if (/dumping contents of table/.test(line)) {
      this.tablesDone++;
      this.report(false);
    }
  }

  finish() {
    this.tablesDone = this.totals.tables;
    this.report(true);
    if (this.tty) process.stderr.write('\n');
  }

  private report(force: boolean) {
    const now = Date.now();
    if (force || now - this.lastEvent >= 1000) {
      this.lastEvent = now;
      this.reporter.event({
        type: 'progress',
        bytes: this.bytes,
        tablesDone: this.tablesDone,
        tablesTotal: this.totals.tables,
      });
    }
    const text = `tables ${this.tablesDone}/${this.totals.tables}, ${(
      this.bytes / MB
    ).toFixed(1)} MB written (database ${(
      this.totals.databaseBytes / MB
    ).toFixed(0)} MB)`;
    if (this.tty) {
      process.stderr.write(`\rbacklot-agent: ${text}\u001b[K`);
    } else if (force || now - this.lastHuman >= 10_000) {
      this.lastHuman = now;
      this.reporter.log(text);
    }
  }
}
