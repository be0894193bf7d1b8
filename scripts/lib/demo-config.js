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
// JSON is valid YAML, and it quotes the password safely whatever characters it holds.
process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
