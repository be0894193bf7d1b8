import http from 'node:http';
import { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * A pass-through HTTP proxy in front of a real server that records what the client sent: for what
 * only the wire shows (S3 server-side encryption headers, which the testbed's S3 server ignores).
 * The Host header is forwarded unchanged, so SigV4 signatures stay valid.
 */
export async function startRecordingProxy(
  target: string,
  options: {
    /** milliseconds to hold a request before passing it on: makes a client's concurrency visible */
    delay?: (request: RecordedRequest) => number;
  } = {},
): Promise<{
  url: string;
  requests: RecordedRequest[];
  /** the most requests that were open (sent, not yet answered in full) at one time */
  mostOpen: () => number;
  close: () => Promise<void>;
}> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  let open = 0;
  let mostOpen = 0;
  const forward = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const forwarded = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      answer => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', error => res.destroy(error));
    req.pipe(forwarded);
  };
  const server = http.createServer((req, res) => {
    const recorded = {
      method: req.method!,
      url: req.url!,
      headers: req.headers,
    };
    requests.push(recorded);
    mostOpen = Math.max(mostOpen, ++open);
    res.on('close', () => open--);
    const delay = options.delay?.(recorded) ?? 0;
    if (delay > 0) setTimeout(() => forward(req, res), delay);
    else forward(req, res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    mostOpen: () => mostOpen,
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
