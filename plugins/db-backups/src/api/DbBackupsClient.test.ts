import { ResponseError } from '@backstage/errors';
import { DbBackupsClient } from './DbBackupsClient';

const BASE_URL = 'http://backlot.test/api/db-backups';

function jsonResponse(status: number, body: unknown, statusText = 'OK') {
  const text = JSON.stringify(body);
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText,
    headers: {
      get: (name: string) =>
        name.toLowerCase() === 'content-type'
          ? 'application/json; charset=utf-8'
          : null,
    },
    json: async () => JSON.parse(text),
    text: async () => text,
  } as unknown as Response;
}

function setup(response: Response = jsonResponse(200, {})) {
  const discoveryApi = { getBaseUrl: jest.fn(async () => BASE_URL) };
  const fetchApi = { fetch: jest.fn(async () => response) };
  const client = new DbBackupsClient({ discoveryApi, fetchApi });
  return { client, discoveryApi, fetchApi };
}

describe('DbBackupsClient', () => {
  it('gets the status from the entity URL and returns the body', async () => {
    const status = { entityRef: 'resource:default/orders-db', problems: [] };
    const { client, discoveryApi, fetchApi } = setup(jsonResponse(200, status));

    await expect(
      client.getStatus('resource:default/orders-db'),
    ).resolves.toEqual(status);
    expect(discoveryApi.getBaseUrl).toHaveBeenCalledWith('db-backups');
    expect(fetchApi.fetch).toHaveBeenCalledTimes(1);
    expect(fetchApi.fetch).toHaveBeenCalledWith(
      `${BASE_URL}/entities/default/orders-db/status`,
      undefined,
    );
  });

  it('encodes the namespace and name in the status URL', async () => {
    const { client, fetchApi } = setup();

    await client.getStatus('resource:team a/orders/db?x#y');
    expect(fetchApi.fetch).toHaveBeenCalledWith(
      `${BASE_URL}/entities/team%20a/orders%2Fdb%3Fx%23y/status`,
      undefined,
    );
  });

  it('defaults the namespace of a short ref to default', async () => {
    const { client, fetchApi } = setup();

    await client.getStatus('resource:orders-db');
    expect(fetchApi.fetch).toHaveBeenCalledWith(
      `${BASE_URL}/entities/default/orders-db/status`,
      undefined,
    );
  });

  it('lists runs with the entity ref, limit and cursor in the query string', async () => {
    const page = { items: [], nextCursor: 'c2' };
    const { client, fetchApi } = setup(jsonResponse(200, page));

    await expect(
      client.listRuns('resource:default/orders-db', {
        limit: 50,
        cursor: 'abc/=+',
      }),
    ).resolves.toEqual(page);
    expect(fetchApi.fetch).toHaveBeenCalledWith(
      `${BASE_URL}/runs?entityRef=resource%3Adefault%2Forders-db&limit=50&cursor=abc%2F%3D%2B`,
      undefined,
    );
  });

  it('leaves limit and cursor out of the query when not given', async () => {
    const { client, fetchApi } = setup(jsonResponse(200, { items: [] }));

    await client.listRuns('resource:default/orders-db');
    expect(fetchApi.fetch).toHaveBeenCalledWith(
      `${BASE_URL}/runs?entityRef=resource%3Adefault%2Forders-db`,
      undefined,
    );
  });

  it('gets one run by its encoded id', async () => {
    const { client, fetchApi } = setup(jsonResponse(200, { id: 'r/1' }));

    await expect(client.getRun('r/1')).resolves.toEqual({ id: 'r/1' });
    expect(fetchApi.fetch).toHaveBeenCalledWith(
      `${BASE_URL}/runs/r%2F1`,
      undefined,
    );
  });

  it('starts a backup with a JSON POST', async () => {
    const { client, fetchApi } = setup(jsonResponse(201, { id: 'run-1' }));

    await expect(
      client.startBackup('resource:default/orders-db'),
    ).resolves.toEqual({ id: 'run-1' });
    expect(fetchApi.fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetchApi.fetch.mock.calls[0] as unknown[] as [
      string,
      RequestInit,
    ];
    expect(url).toBe(`${BASE_URL}/runs`);
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(JSON.parse(init.body as string)).toEqual({
      entityRef: 'resource:default/orders-db',
      kind: 'backup',
    });
  });

  it('throws a ResponseError carrying the server message on a non-2xx answer', async () => {
    const { client } = setup(
      jsonResponse(
        409,
        {
          error: {
            name: 'ConflictError',
            message:
              'A backup of resource:default/orders-db is already running',
          },
          request: { method: 'POST', url: '/runs' },
          response: { statusCode: 409 },
        },
        'Conflict',
      ),
    );

    const error = await client.startBackup('resource:default/orders-db').then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(409);
    expect(error.message).toBe('Request failed with 409 Conflict');
    expect(error.cause.name).toBe('ConflictError');
    expect(error.cause.message).toBe(
      'A backup of resource:default/orders-db is already running',
    );
  });

  it('keeps a plain-text error body in the ResponseError', async () => {
    const text = 'upstream unavailable';
    const { client } = setup({
      ok: false,
      status: 502,
      statusText: 'Bad Gateway',
      headers: { get: () => 'text/plain' },
      json: async () => {
        throw new Error('not json');
      },
      text: async () => text,
    } as unknown as Response);

    const error = await client.getStatus('resource:default/orders-db').then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(502);
    expect(error.cause.message).toContain('upstream unavailable');
  });
});
