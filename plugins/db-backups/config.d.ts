export interface Config {
  dbBackups?: {
    /**
     * `spec.type` values of `kind: Resource` entities that are databases: they get the Backups tab.
     * The backend reads the same key (see @backlot/plugin-db-backups-backend).
     * @default ["database"]
     * @visibility frontend
     */
    entityTypes?: string[];
  };
}
