import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  EntityBackupStatus,
  Run,
  RunPage,
} from '@backlot/plugin-db-backups-common';
import { DbBackupsApi } from './DbBackupsApi';

/** Calls the db-backups backend with the user's credentials (fetchApi adds them). */
export class DbBackupsClient implements DbBackupsApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  private async request<T>(path: string, init?: RequestInit): Promise<T> {
    const baseUrl = await this.options.discoveryApi.getBaseUrl('db-backups');
    const response = await this.options.fetchApi.fetch(
      `${baseUrl}${path}`,
      init,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.json();
  }

  getStatus(entityRef: string): Promise<EntityBackupStatus> {
    const { namespace, name } = parseEntityRef(entityRef);
    return this.request(
      `/entities/${encodeURIComponent(namespace)}/${encodeURIComponent(
        name,
      )}/status`,
    );
  }

  listRuns(
    entityRef: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<RunPage> {
    const query = new URLSearchParams({ entityRef });
    if (options.limit) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    return this.request(`/runs?${query}`);
  }

  getRun(id: string): Promise<Run> {
    return this.request(`/runs/${encodeURIComponent(id)}`);
  }

  startBackup(entityRef: string): Promise<{ id: string }> {
    return this.request('/runs', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ entityRef, kind: 'backup' }),
    });
  }
}
