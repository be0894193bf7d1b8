// Writes the machine-specific part of the demo's app-config (connections of the testbed servers,
// their password and the pg client directories) from the JSON `yarn testbed up` printed.
const fs = require('node:fs');
const path = require('node:path');

const info = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const demo = [
  ['inventory', 14, 'inventory'],
  ['orders', 16, 'orders'],
  ['billing', 18, 'billing'],
];
const connections = {};
for (const [name, major, database] of demo) {
  connections[name] = {
    host: info.host,
    port: info.ports[String(major)],
    user: info.user,
    password: info.password,
    database,
  };
}
const config = {
  dbBackups: {
    connections,
    storage: {
      filesystem: { path: path.resolve(__dirname, '../../.testbed/backups') },
    },
    local: { pgBinDirs: Object.values(info.pgBin) },
  },
};
// --runner kubernetes: Jobs on the testbed's control plane, artifacts in its S3 server (a pod
// runs as the agent image's user, 10001, which may not write into this checkout)
if (process.argv[3] === 'kubernetes') {
  const s3 = info.s3;
  config.dbBackups.runner = 'kubernetes';
  config.dbBackups.kubernetes = {
    kubeconfig: info.kubernetes.kubeconfig,
    namespace: info.kubernetes.namespace,
    image: 'backlot/agent:0.1.0',
  };
  config.dbBackups.storage = {
    type: 's3',
    s3: {
      bucket: s3.bucket,
      prefix: 'demo',
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: {
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
      },
    },
  };
}
// JSON is valid YAML, and it quotes the password safely whatever characters it holds.
process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
