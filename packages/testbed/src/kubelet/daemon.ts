/**
 * Starting, probing and stopping the kubelet process, like the control plane's components: a detached process
 * (`testbed kubelet-serve`), its pid in k8s/run/kubelet.pid, its log in k8s/log/kubelet.log, healthy once its
 * /healthz says the Node is registered. A kubelet started from older sources is restarted on the current ones.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { HOST, k8sDir, k8sPorts, PACKAGE_DIR } from '../config';
import { log } from '../exec';
import { ensureKubeletCerts } from './certs';
import {
  kubeletLogFile,
  kubeletPidFile,
  NODE_NAME,
  sourceStamp,
} from './paths';

interface Health {
  node: string;
  registered: boolean;
  sources: string;
}

function health(): Promise<Health | undefined> {
  return new Promise(resolve => {
    const req = https.get(
      `https://${HOST}:${k8sPorts().kubelet}/healthz`,
      { rejectUnauthorized: false, timeout: 2000 },
      res => {
        let body = '';
        res.on('data', d => {
          body += d;
        });
        res.on('end', () => {
          try {
            resolve(res.statusCode === 200 ? JSON.parse(body) : undefined);
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** It answers, has registered the Node, and runs the current sources. */
export async function probeKubelet(): Promise<boolean> {
  const h = await health();
  return !!h && h.registered && h.sources === sourceStamp();
}

function readPid(): number | undefined {
  try {
    const pid = Number(fs.readFileSync(kubeletPidFile(), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isOurs(pid: number): boolean {
  try {
    return fs
      .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .includes('kubelet-serve');
  } catch {
    return false;
  }
}

export async function stopKubelet(): Promise<boolean> {
  const pid = readPid();
  fs.rmSync(kubeletPidFile(), { force: true });
  if (!pid || !isOurs(pid)) return false;
  log('kubernetes: stopping the process kubelet');
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && isOurs(pid); i++)
    await new Promise(r => setTimeout(r, 100));
  if (isOurs(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

/** Needs the API server up (the kubelet registers its Node before it reports healthy). */
export async function ensureKubelet(): Promise<void> {
  if (await probeKubelet()) return;
  await stopKubelet();
  await ensureKubeletCerts();
  fs.mkdirSync(path.dirname(kubeletLogFile()), { recursive: true });
  fs.mkdirSync(path.dirname(kubeletPidFile()), { recursive: true });
  const out = fs.openSync(kubeletLogFile(), 'a');
  log(
    `kubernetes: starting the process kubelet (node ${NODE_NAME}, port ${
      k8sPorts().kubelet
    })`,
  );
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      path.join(PACKAGE_DIR, 'bin', 'testbed'),
      'kubelet-serve',
    ],
    { detached: true, stdio: ['ignore', out, out], cwd: k8sDir() },
  );
  fs.closeSync(out);
  let exited: number | null | undefined;
  child.on('exit', code => {
    exited = code;
  });
  child.unref();
  fs.writeFileSync(kubeletPidFile(), String(child.pid));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && exited === undefined) {
    if (await probeKubelet()) return;
    await new Promise(r => setTimeout(r, 250));
  }
  const tail = fs
    .readFileSync(kubeletLogFile(), 'utf8')
    .trim()
    .split('\n')
    .slice(-15)
    .join('\n');
  if (exited === undefined) await stopKubelet();
  throw new Error(
    `kubernetes: the process kubelet ${
      exited === undefined
        ? 'did not get healthy in 60 s'
        : `exited with ${exited}`
    }; ${kubeletLogFile()}:\n${tail}`,
  );
}

export async function kubeletStatus(): Promise<{
  node: string;
  port: number;
  answering: boolean;
  registered: boolean;
}> {
  const h = await health();
  return {
    node: NODE_NAME,
    port: k8sPorts().kubelet,
    answering: !!h,
    registered: !!h?.registered,
  };
}
