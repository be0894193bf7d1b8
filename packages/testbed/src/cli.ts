import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { CLIENT_MAJORS } from './clients';
import { SERVER_MAJORS, parseMajors } from './config';
import { kubernetesBinDir } from './kubectl';
import { readPassword } from './password';
import { kubernetesStatus } from './kubernetes';
import { isReady, probe } from './postgres';
import { serveS3 } from './s3';
import { serveKubelet } from './kubelet/kubelet';
import { testbedDown, testbedStatus, testbedUp } from './up';

// stdout carries exactly one JSON document, so `$(yarn testbed up)` can be parsed; everything else goes to stderr.
function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function majors(allowed: readonly number[]) {
  return (value: string) => {
    try {
      return parseMajors(value, allowed);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

const program = new Command('testbed')
  .description(
    'Real PostgreSQL 14-18 servers, pg clients and an S3 server for Backlot tests, benchmarks and the demo',
  )
  .showHelpAfterError();

program
  .command('up')
  .description('start what is missing and print the testbed as JSON on stdout')
  .option(
    '--pg <majors>',
    `server majors, comma-separated (default ${SERVER_MAJORS.join(',')})`,
    majors(SERVER_MAJORS),
  )
  .option(
    '--clients <majors>',
    `client majors (default 15,17,18; '' for none)`,
    majors(CLIENT_MAJORS),
  )
  .option('--s3', 'also run the S3 server')
  .option(
    '--plain',
    'also run the plain PostgreSQL 17 (self-built, default configure + lz4: no libxml, TLS, contrib); ~2 min to build the first time',
  )
  .option('--seed <set>', "seed data: 'demo'")
  .option(
    '--k8s',
    'also run the Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) and a process kubelet (one node running pods as local processes); built from Go modules the first time',
  )
  .action(
    async (opts: {
      pg?: number[];
      clients?: number[];
      s3?: boolean;
      plain?: boolean;
      seed?: string;
      k8s?: boolean;
    }) => {
      if (opts.seed !== undefined && opts.seed !== 'demo')
        throw new InvalidArgumentError(`unknown seed ${opts.seed}`);
      printJson(
        await testbedUp({
          pg: opts.pg,
          clients: opts.clients,
          s3: opts.s3,
          plain: opts.plain,
          seed: opts.seed as 'demo',
          k8s: opts.k8s,
        }),
      );
    },
  );

// Single quotes keep every byte literal in sh; an embedded quote is closed, escaped and reopened.
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

program
  .command('env')
  .description(
    'start like `up`, then print shell exports (eval "$(yarn testbed env)"), e.g. for Backstage\'s TestDatabases',
  )
  .option(
    '--pg <majors>',
    'server majors, comma-separated',
    majors(SERVER_MAJORS),
  )
  .option('--s3', 'also run the S3 server')
  .option(
    '--plain',
    'also run the plain PostgreSQL 17 (exported anyway when it already runs)',
  )
  .option(
    '--k8s',
    'also run the Kubernetes control plane (exported anyway when it already runs): KUBECONFIG, BACKLOT_TESTBED_KUBECONFIG, ..., and PATH with its kubectl',
  )
  .action(
    async (opts: {
      pg?: number[];
      s3?: boolean;
      plain?: boolean;
      k8s?: boolean;
    }) => {
      const password = readPassword();
      const plain =
        !!opts.plain ||
        (password !== undefined &&
          isReady('plain', await probe('plain', password, 1000)));
      const k8s = !!opts.k8s || (await kubernetesStatus()).answering;
      const info = await testbedUp({ pg: opts.pg, s3: opts.s3, plain, k8s });
      const vars: Record<string, string> = {
        BACKSTAGE_TEST_DISABLE_DOCKER: '1',
      };
      let pathPrefix: string | undefined;
      for (const [major, url] of Object.entries(info.postgres)) {
        vars[`BACKSTAGE_TEST_DATABASE_POSTGRES${major}_CONNECTION_STRING`] =
          url;
        vars[`BACKLOT_TESTBED_PG${major}_URL`] = url;
      }
      for (const [major, dir] of Object.entries(info.pgBin))
        vars[`BACKLOT_TESTBED_PGBIN${major}`] = dir;
      if (info.plain) vars.BACKLOT_TESTBED_PLAIN_URL = info.plain.url;
      if (info.s3) {
        vars.BACKLOT_TESTBED_S3_ENDPOINT = info.s3.endpoint;
        vars.BACKLOT_TESTBED_S3_BUCKET = info.s3.bucket;
        vars.AWS_REGION = info.s3.region;
        vars.AWS_ACCESS_KEY_ID = info.s3.accessKeyId;
        vars.AWS_SECRET_ACCESS_KEY = info.s3.secretAccessKey;
      }
      if (info.kubernetes) {
        // kubectl of the same version, built with the control plane
        const bin = await kubernetesBinDir();
        if (!(process.env.PATH ?? '').split(path.delimiter).includes(bin))
          pathPrefix = bin;
        vars.KUBECONFIG = info.kubernetes.kubeconfig;
        vars.BACKLOT_TESTBED_KUBECONFIG = info.kubernetes.kubeconfig;
        vars.BACKLOT_TESTBED_K8S_SERVER = info.kubernetes.server;
        vars.BACKLOT_TESTBED_K8S_NAMESPACE = info.kubernetes.namespace;
      }
      for (const [k, v] of Object.entries(vars))
        process.stdout.write(`export ${k}=${shellQuote(v)}\n`);
      // prepended to the shell's own PATH (not ours: yarn adds its temporary bin folders to it)
      if (pathPrefix)
        process.stdout.write(`export PATH=${shellQuote(pathPrefix)}:"$PATH"\n`);
    },
  );

program
  .command('down')
  .description(
    'stop all servers, the S3 server and the Kubernetes control plane (data is kept unless --purge)',
  )
  .option(
    '--purge',
    'also delete server data, S3 state, the password and the control plane (etcd data, certificates)',
  )
  .action(async (opts: { purge?: boolean }) => {
    await testbedDown({ purge: opts.purge });
  });

program
  .command('status')
  .description('print what runs, as JSON')
  .action(async () => {
    printJson(await testbedStatus());
  });

program
  .command('s3-serve', { hidden: true })
  .requiredOption('--port <port>', 'port', Number)
  .requiredOption('--bucket <name>', 'bucket to create')
  .option('--pid-file <file>', 'written once the server listens')
  .action(async (opts: { port: number; bucket: string; pidFile?: string }) => {
    await serveS3(opts);
  });

program
  .command('kubelet-serve', { hidden: true })
  .description('the process kubelet (started detached by up --k8s)')
  .action(async () => {
    await serveKubelet();
  });

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`testbed: ${e.message}\n`);
  process.exit(1);
});
