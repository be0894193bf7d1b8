/**
 * The kubelet's HTTPS endpoint as far as the API server uses it for `pods/{name}/log`: `/containerLogs/{ns}/{pod}/
 * {container}` with the kubelet's query, following a running container until it exits (the stream then ends, as
 * with a real kubelet), and `/healthz`. Callers are not authenticated (a real kubelet would check the API server's
 * client certificate): it listens on loopback only.
 */
import fs from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HOST } from '../config';
import { LogEntry, parseEntries } from './logFile';
import {
  ByteBudget,
  LogQuery,
  LogQueryError,
  parseLogQuery,
  renderEntry,
  selectEntries,
} from './logQuery';

const FOLLOW_POLL_MS = 150;

/** Where a container's log is and whether more can come; or why there is no log (status code and message). */
export type LogTarget =
  | { file: string; running: () => boolean }
  | { code: number; message: string };

export interface LogServerOptions {
  port: number;
  cert: Buffer;
  key: Buffer;
  find(namespace: string, pod: string, container: string): LogTarget;
  health(): { ok: boolean; body: unknown };
}

function fail(res: ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

/** Reads the complete lines added to the file since `offset`; returns them and the new offset. */
function readFrom(
  file: string,
  offset: number,
): { entries: LogEntry[]; offset: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { entries: [], offset };
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return { entries: [], offset };
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    const end = buf.lastIndexOf(0x0a) + 1;
    return {
      entries: parseEntries(buf.subarray(0, end).toString('utf8')),
      offset: offset + end,
    };
  } finally {
    fs.closeSync(fd);
  }
}

async function stream(
  req: IncomingMessage,
  res: ServerResponse,
  target: { file: string; running: () => boolean },
  q: LogQuery,
) {
  const budget = new ByteBudget(q.limitBytes);
  let closed = false;
  req.on('close', () => {
    closed = true;
  });
  const send = (entries: LogEntry[]) => {
    for (const e of entries) {
      if (budget.exhausted) return;
      res.write(budget.take(renderEntry(e, q)));
    }
  };
  res.writeHead(200, {
    'content-type': 'text/plain',
    'transfer-encoding': 'chunked',
  });
  let { entries, offset } = readFrom(target.file, 0);
  send(selectEntries(entries, q));
  while (q.follow && !closed && !budget.exhausted) {
    // read once more after the exit: the last lines may have landed after the previous read
    const last = !target.running();
    if (!last) await new Promise(r => setTimeout(r, FOLLOW_POLL_MS));
    ({ entries, offset } = readFrom(target.file, offset));
    send(
      q.since === undefined
        ? entries
        : selectEntries(entries, { ...q, tailLines: undefined }),
    );
    if (last) break;
  }
  res.end();
}

export function startLogServer(opts: LogServerOptions): Promise<https.Server> {
  const server = https.createServer(
    { cert: opts.cert, key: opts.key },
    (req, res) => {
      const url = new URL(req.url ?? '/', `https://${HOST}`);
      if (url.pathname === '/healthz') {
        const h = opts.health();
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(h.body));
        return;
      }
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(
        url.pathname,
      );
      if (!m || req.method !== 'GET') {
        fail(res, 404, `404 page not found: ${url.pathname}`);
        return;
      }
      const [ns, pod, container] = m.slice(1).map(decodeURIComponent);
      let q: LogQuery;
      try {
        q = parseLogQuery(url.searchParams);
      } catch (e) {
        if (!(e instanceof LogQueryError)) throw e;
        fail(res, 400, e.message);
        return;
      }
      if (q.previous) {
        fail(
          res,
          400,
          `previous terminated container "${container}" in pod "${pod}" not found`,
        );
        return;
      }
      const target = opts.find(ns, pod, container);
      if ('code' in target) {
        fail(res, target.code, target.message);
        return;
      }
      stream(req, res, target, q).catch(e => {
        res.destroy(e);
      });
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, HOST, () => resolve(server));
  });
}
