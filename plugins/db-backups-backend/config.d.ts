export interface Config {
  /** Backlot: backups and mirrors of the PostgreSQL databases in the catalog. */
  dbBackups?: {
    /**
     * `spec.type` values of `kind: Resource` entities that are databases. Also read by the frontend
     * plugin, which shows the Backups tab on those entities.
     * @default ["database"]
     * @visibility frontend
     */
    entityTypes?: string[];

    /**
     * Named connections; an entity names one in its `backlot.dev/connection` annotation.
     * Credentials live here (from env or secrets), never in the catalog.
     */
    connections?: {
      [name: string]: {
        host: string;
        /** @default 5432 */
        port?: number;
        user: string;
        /** @visibility secret */
        password?: string;
        /** Database name. */
        database: string;
        /**
         * libpq sslmode. Absent: prefer (TLS when the server offers it, unverified).
         */
        sslmode?:
          | 'disable'
          | 'allow'
          | 'prefer'
          | 'require'
          | 'verify-ca'
          | 'verify-full';
        /**
         * libpq sslrootcert: path of the CA certificate that signed the server's (on the backend's
         * host), or "system" for the system's CAs. Needed by verify-ca and verify-full.
         */
        sslrootcert?: string;
        /** libpq sslcert: path of a client certificate, for servers that authenticate by certificate. */
        sslcert?: string;
        /** libpq sslkey: path of the client certificate's key (mode 0600). */
        sslkey?: string;
      };
    };

    /**
     * pg_dump compression for databases without backlot.dev/compression: zstd[:N], lz4[:N], gzip[:N]
     * or none. Absent: zstd:1 where pg_dump is 16 or newer, gzip:1 otherwise.
     */
    compression?: string;

    /**
     * The cluster's roles (`pg_dumpall --roles-only`), stored beside every dump so that a restore into
     * a fresh server finds its owners and grants.
     */
    roles?: {
      /**
       * Store the roles at all. Turn off where the backup user may not read them.
       * @default true
       */
      include?: boolean;
      /**
       * Keep the roles' password hashes (SCRAM or md5, never clear text). Needs a superuser; left
       * out by default so that a backup is not a credential store.
       * @default false
       */
      passwords?: boolean;
    };

    /** Verify runs: checksum and archive listing, and with a scratch server a real restore. */
    verify?: {
      /**
       * A connection in dbBackups.connections whose server may hold throw-away databases
       * (backlot_verify_*; the user needs CREATEDB). Without it, verify checks sha256 and pg_restore --list only.
       */
      scratchConnection?: string;
    };

    /** Where artifacts go. The embedded default is a folder next to the backend. */
    storage?: {
      /** @default filesystem */
      type?: 'filesystem' | 's3';
      /**
       * An S3 bucket (AWS or any S3-compatible server). Dumps stream in by multipart upload; the
       * manifest is written last and marks a complete backup.
       */
      s3?: {
        bucket: string;
        /** Key prefix below which `<namespace>/<name>/<yyyy>/<mm>/<dd>/<runId>.*` go. */
        prefix?: string;
        /** @default us-east-1 */
        region?: string;
        /** For S3-compatible servers, e.g. http://minio:9000. */
        endpoint?: string;
        /** Path-style addressing (bucket in the path); defaults to true when an endpoint is set. */
        forcePathStyle?: boolean;
        /**
         * The SDK's optional CRC32 checksums on uploads and downloads. WHEN_SUPPORTED is the AWS SDK's
         * default; WHEN_REQUIRED is the default when an endpoint is set, since S3-compatible servers
         * (Cloudflare R2, older MinIO, Ceph) reject those headers. Either way each part is covered by
         * its SigV4 payload hash and the dump by the manifest's sha256.
         */
        checksums?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
        /** SSE-S3 (AES256) or SSE-KMS (aws:kms, optionally with kmsKeyId). */
        serverSideEncryption?: 'AES256' | 'aws:kms';
        kmsKeyId?: string;
        /**
         * Static keys. Without them the agent uses the backend's AWS credential chain
         * (environment, profile, instance or pod role).
         */
        credentials?: {
          accessKeyId: string;
          /** @visibility secret */
          secretAccessKey: string;
        };
      };
      filesystem?: {
        /**
         * Directory for dumps and manifests, absolute or relative to the backend's working directory.
         * @default ./backups
         */
        path?: string;
      };
    };

    /**
     * Where runs execute for entities without a backlot.dev/runner annotation: `local` (backlot-agent
     * on the backend host) or `kubernetes` (one Job per run; needs dbBackups.kubernetes).
     * @default local
     */
    runner?: 'local' | 'kubernetes';

    /**
     * The kubernetes runner: each run is a batch/v1 Job in `namespace`. Checked at start; a mistake
     * fails the backend's start with the key that is wrong.
     */
    kubernetes?: {
      /**
       * Path of a kubeconfig file (on the backend's host; `~` and relative paths allowed). Absent:
       * the backend's in-cluster ServiceAccount.
       */
      kubeconfig?: string;
      /** A context of the kubeconfig; absent: its current-context. Needs kubeconfig. */
      context?: string;
      /**
       * Namespace of the Jobs, their pods and the Secrets they own. Secrets named by
       * backlot.dev/connection-secret must be in it: a pod reads Secrets of its own namespace only.
       */
      namespace: string;
      /**
       * The agent image: Node, backlot-agent and the pg clients 14-18 (docs/adr/0004).
       * Absent: backlot/agent:<version of the backend's @backlot/agent>.
       * @default backlot/agent:0.1.0
       */
      image?: string;
      /** Image for a server major whose client `image` lacks, e.g. `{ 19: registry/agent:pg19 }`. */
      imagesByMajor?: { [major: string]: string };
      /** The Job pods' ServiceAccount; absent: the namespace's default. */
      serviceAccountName?: string;
      /**
       * Mount the ServiceAccount's token in the pods; only for storage credentials from a pod
       * identity (e.g. IRSA).
       * @default false
       */
      automountServiceAccountToken?: boolean;
      /** The agent container's resources, as Kubernetes quantities (500m, 2, 512Mi, 4Gi). */
      resources?: {
        requests?: {
          cpu?: string;
          memory?: string;
          'ephemeral-storage'?: string;
        };
        limits?: {
          cpu?: string;
          memory?: string;
          'ephemeral-storage'?: string;
        };
      };
      /** Node labels the pods must match. */
      nodeSelector?: { [label: string]: string };
      /** Taints the pods tolerate. */
      tolerations?: Array<{
        key?: string;
        /** @default Equal */
        operator?: 'Equal' | 'Exists';
        value?: string;
        effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
        /** Only with effect NoExecute. */
        tolerationSeconds?: number;
      }>;
      /** Names of docker-registry Secrets in `namespace` for pulling the images. */
      imagePullSecrets?: string[];
      /** Extra labels on every pod (the runner's own labels, app.kubernetes.io/* and backlot.dev/*, are set by it). */
      podLabels?: { [key: string]: string };
      /** Extra annotations on every pod. */
      podAnnotations?: { [key: string]: string };
      /**
       * Seconds a Job may run (pending included) before Kubernetes ends it; the run fails saying so.
       * @default 21600
       */
      activeDeadlineSeconds?: number;
      /**
       * Seconds a finished Job and its pod stay for kubectl before Kubernetes deletes them.
       * @default 86400
       */
      ttlSecondsAfterFinished?: number;
      /**
       * How long a pod may wait to start (image pull, missing Secret) before the run fails with what
       * to fix: a duration object or an ISO 8601 / ms-style string (PT10M, '10m').
       * @default { minutes: 5 }
       */
      pendingTimeout?:
        | {
            milliseconds?: number;
            seconds?: number;
            minutes?: number;
            hours?: number;
            days?: number;
          }
        | string;
    };

    /** The local runner: runs backlot-agent on the backend host (the embedded default). */
    local?: {
      /**
       * Directories holding pg_dump/pg_restore/psql of some major; /usr/lib/postgresql/<major>/bin
       * is searched as well. The agent uses the server's major, else the nearest newer one.
       */
      pgBinDirs?: string[];
      /**
       * Also search /usr/lib/postgresql/<major>/bin.
       * @default true
       */
      searchSystemBinDirs?: boolean;
      /**
       * How many runs this backend instance executes at once.
       * @default 2
       */
      concurrency?: number;
    };

    schedule?: {
      /** Cron applied to database entities that have no backlot.dev/backup-schedule; absent = manual only. */
      defaultCron?: string;
      /** @default UTC */
      defaultTimezone?: string;
      /**
       * How often each backend instance looks for due backups.
       * @default { seconds: 10 }
       */
      tickFrequency?: { seconds?: number; minutes?: number };
      /**
       * How often database entities are read from the catalog (schedules added, changed, removed).
       * @default { seconds: 30 }
       */
      catalogSyncFrequency?: { seconds?: number; minutes?: number };
    };
  };
}
