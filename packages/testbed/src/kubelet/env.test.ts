import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { commandLine, ConfigError, ConfigSource, containerEnv } from './env';

const pod: V1Pod = {
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'u-1',
    labels: { 'app.kubernetes.io/name': 'backup' },
  },
  spec: { nodeName: 'backlot-node', containers: [] },
};

const b = (s: string) => Buffer.from(s);
const source: ConfigSource = {
  async secret(namespace, name) {
    if (namespace !== 'ns')
      throw new Error(`asked for a Secret of ${namespace}`);
    return name === 'db' ? { password: b('pw'), user: b('u') } : undefined;
  },
  async configMap(_ns, name) {
    return name === 'cfg' ? { HOST: b('h'), PORT: b('5432') } : undefined;
  },
};

const env = (c: Partial<V1Container>) =>
  containerEnv(pod, { name: 'main', ...c }, source, '127.0.0.1');

describe('containerEnv', () => {
  it('resolves values, Secret and ConfigMap keys, the downward API and envFrom with prefixes, env winning', async () => {
    expect(
      await env({
        envFrom: [
          { configMapRef: { name: 'cfg' } },
          { secretRef: { name: 'db' }, prefix: 'DB_' },
        ],
        env: [
          { name: 'PORT', value: '6432' },
          {
            name: 'PASSWORD',
            valueFrom: { secretKeyRef: { name: 'db', key: 'password' } },
          },
          { name: 'URL', value: 'postgres://$(DB_user)@$(HOST):$(PORT)' },
          { name: 'LATER', value: '$(DEFINED_BELOW)' },
          { name: 'DEFINED_BELOW', value: 'x' },
          {
            name: 'POD',
            valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
          },
          {
            name: 'NS',
            valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
          },
          {
            name: 'UID',
            valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } },
          },
          {
            name: 'NODE',
            valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
          },
          {
            name: 'IP',
            valueFrom: { fieldRef: { fieldPath: 'status.podIP' } },
          },
          {
            name: 'APP',
            valueFrom: {
              fieldRef: {
                fieldPath: "metadata.labels['app.kubernetes.io/name']",
              },
            },
          },
        ],
      }),
    ).toEqual({
      HOST: 'h',
      PORT: '6432',
      DB_password: 'pw',
      DB_user: 'u',
      PASSWORD: 'pw',
      URL: 'postgres://u@h:6432',
      LATER: '$(DEFINED_BELOW)',
      DEFINED_BELOW: 'x',
      POD: 'p',
      NS: 'ns',
      UID: 'u-1',
      NODE: 'backlot-node',
      IP: '127.0.0.1',
      APP: 'backup',
    });
  });

  it.each([
    [{ secretKeyRef: { name: 'nope', key: 'k' } }, 'secret "nope" not found'],
    [
      { configMapKeyRef: { name: 'nope', key: 'k' } },
      'configmap "nope" not found',
    ],
    [
      { secretKeyRef: { name: 'db', key: 'k' } },
      "couldn't find key k in Secret ns/db",
    ],
    [
      { configMapKeyRef: { name: 'cfg', key: 'k' } },
      "couldn't find key k in ConfigMap ns/cfg",
    ],
  ])("%j fails with the kubelet's message", async (valueFrom, message) => {
    const error = await env({ env: [{ name: 'X', valueFrom }] }).catch(e => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(message);
  });

  it('skips what is optional and missing', async () => {
    expect(
      await env({
        envFrom: [{ secretRef: { name: 'nope', optional: true } }],
        env: [
          {
            name: 'A',
            valueFrom: {
              secretKeyRef: { name: 'nope', key: 'k', optional: true },
            },
          },
          {
            name: 'B',
            valueFrom: {
              secretKeyRef: { name: 'db', key: 'k', optional: true },
            },
          },
          { name: 'C', value: 'c' },
        ],
      }),
    ).toEqual({ C: 'c' });
  });

  it('fails on an envFrom Secret that is not there', async () => {
    await expect(
      env({ envFrom: [{ secretRef: { name: 'gone' } }] }),
    ).rejects.toThrow('secret "gone" not found');
  });
});

describe('commandLine', () => {
  const image = { entrypoint: ['/entry'], cmd: ['default-cmd'] };
  const vars = { DIR: '/data', NAME: 'x' };
  it.each([
    [{}, ['/entry', 'default-cmd']],
    [{ args: ['a'] }, ['/entry', 'a']],
    [{ command: ['run'] }, ['run']],
    [
      { command: ['run'], args: ['--dir=$(DIR)', '$$(NAME)', '$(UNSET)'] },
      ['run', '--dir=/data', '$(NAME)', '$(UNSET)'],
    ],
  ])('%j -> %j', (c, argv) => {
    expect(commandLine({ name: 'main', ...c }, image, vars)).toEqual(argv);
  });

  it("rewrites paths the pod spec names, never the image's own program (which may live under a mount path)", () => {
    const underTmp = { entrypoint: ['/tmp/ci/bin/agent'], cmd: ['/tmp/x'] };
    const rewrite = (s: string) => s.replace(/^\/tmp\//, '/pod/tmp/');
    expect(
      commandLine(
        { name: 'main', args: ['--dir=/tmp/d', '/tmp/d'] },
        underTmp,
        vars,
        rewrite,
      ),
    ).toEqual(['/tmp/ci/bin/agent', '--dir=/tmp/d', '/pod/tmp/d']);
    expect(commandLine({ name: 'main' }, underTmp, vars, rewrite)).toEqual([
      '/tmp/ci/bin/agent',
      '/tmp/x',
    ]);
    expect(
      commandLine(
        { name: 'main', command: ['/tmp/run'] },
        underTmp,
        vars,
        rewrite,
      ),
    ).toEqual(['/pod/tmp/run']);
  });
});
