import { SingleBar } from 'cli-progress';
import { Reporter } from './reporter';

const MB = 1_000_000;
const mb = (bytes: number) => (bytes / MB).toFixed(1);

/**
 * Progress of one dump: NDJSON progress events at most once a second for the backend, and for a
 * human on stderr a progress bar on a terminal (tables done, bytes written, the database's size),
 * or a line every 10 s in a log.
 */
export class DumpProgress {
  private bytes = 0;
  private tablesDone = 0;
  private lastEvent = 0;
  private lastHuman = 0;
  private readonly bar?: SingleBar;

  constructor(
    private readonly reporter: Reporter,
    private readonly totals: { tables: number; databaseBytes: number },
  ) {
    if (process.stderr.isTTY) {
      this.bar = new SingleBar({
        stream: process.stderr,
        format:
          'backlot-agent [{bar}] tables {value}/{total} | {written} MB written | database {database} MB',
        barsize: 30,
        hideCursor: false,
        fps: 4,
      });
      this.bar.start(Math.max(totals.tables, 1), 0, {
        written: mb(0),
        database: mb(totals.databaseBytes),
      });
    }
  }

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
    this.stop();
  }

  /** Ends the bar's line, so that what is printed next (an error) starts on its own. */
  stop() {
    if (this.bar?.isActive) this.bar.stop();
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
    if (this.bar) {
      this.bar.update(this.tablesDone, { written: mb(this.bytes) });
    } else if (force || now - this.lastHuman >= 10_000) {
      this.lastHuman = now;
      this.reporter.log(
        `tables ${this.tablesDone}/${this.totals.tables}, ${mb(
          this.bytes,
        )} MB written (database ${mb(this.totals.databaseBytes)} MB)`,
      );
    }
  }
}
