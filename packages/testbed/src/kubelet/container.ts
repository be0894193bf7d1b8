/**
 * One container as one local process: its argv, env, working directory and identity worked out from the pod, the
 * image table and the emulated mounts; started in its own process group (so that a signal reaches everything it
 * started), its output logged, and its exit turned into what a runtime reports: exit code, signal, reason and the
 * termination message.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { commandLine } from './env';
import { identity, Identity } from './identity';
import { BASE_PATH, Image } from './images';
import { LogWriter, logTail } from './logFile';
import { Mount, pathRewriter } from './mounts';

/** What the process sees instead of the runtime's namespaces. */
export interface ProcessSpec {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  identity: Identity;
}

export interface ContainerFiles {
  dir: string;
  log: string;
  terminationLog: string;
  pid: string;
}

export function containerFiles(podDir: string, name: string): ContainerFiles {
  const dir = path.join(podDir, 'containers', name);
  return {
    dir,
    log: path.join(dir, 'log'),
    terminationLog: path.join(dir, 'termination-log'),
    pid: path.join(dir, 'pid'),
  };
}

export function containerMounts(
  container: V1Container,
  volumes: Record<string, string>,
  files: ContainerFiles,
): Mount[] {
  const mounts: Mount[] = (container.volumeMounts ?? []).map(m => ({
    containerPath: m.mountPath,
    hostPath: m.subPath
      ? path.join(volumes[m.name], m.subPath)
      : volumes[m.name],
  }));
  mounts.push({
    containerPath: container.terminationMessagePath || '/dev/termination-log',
    hostPath: files.terminationLog,
  });
  return mounts;
}

export function processSpec(opts: {
  pod: V1Pod;
  container: V1Container;
  image: Image;
  env: Record<string, string>;
  mounts: Mount[];
  podDir: string;
}): ProcessSpec {
  const { pod, container, image } = opts;
  const rewrite = pathRewriter(opts.mounts);
  const argv = commandLine(container, image, opts.env, rewrite);
  const env: Record<string, string> = {
    PATH: [...image.path, BASE_PATH].join(':'),
    HOSTNAME: pod.metadata?.name ?? '',
    HOME: '/',
    ...image.env,
  };
  for (const [k, v] of Object.entries(opts.env)) env[k] = rewrite(v);
  const wd = container.workingDir ? rewrite(container.workingDir) : undefined;
  return {
    argv,
    env,
    cwd: wd && wd !== container.workingDir ? wd : opts.podDir,
    identity: identity(pod, container, image),
  };
}

export interface Exit {
  exitCode: number;
  signal?: number;
  reason: 'Completed' | 'Error' | 'StartError';
  message?: string;
  finishedAt: string;
}

export interface Started {
  pid: number;
  startedAt: string;
  exited: Promise<Exit>;
}

/** The file's last 4096 bytes, as the kubelet reads it; the log's tail instead when the policy asks for it. */
function terminationMessage(
  container: V1Container,
  files: ContainerFiles,
  exitCode: number,
): string | undefined {
  let message = '';
  try {
    const buf = fs.readFileSync(files.terminationLog);
    message = buf.subarray(Math.max(0, buf.length - 4096)).toString('utf8');
  } catch {
    // no file: no message
  }
  if (
    !message &&
    exitCode !== 0 &&
    container.terminationMessagePolicy === 'FallbackToLogsOnError'
  )
    message = logTail(files.log, 80, 2048);
  return message || undefined;
}

export function startContainer(
  container: V1Container,
  spec: ProcessSpec,
  files: ContainerFiles,
): Started {
  fs.mkdirSync(files.dir, { recursive: true, mode: 0o755 });
  // the runtime creates the termination message file writable by the container's user
  fs.writeFileSync(files.terminationLog, '');
  fs.chmodSync(files.terminationLog, 0o666);
  const asRoot = process.getuid?.() === 0;
  const child = spawn(spec.argv[0], spec.argv.slice(1), {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // without root there is no changing users: the process runs as the kubelet's (see README)
    ...(asRoot ? { uid: spec.identity.uid, gid: spec.identity.gid } : {}),
  });
  const log = new LogWriter(files.log);
  child.stdout!.on('data', d => log.write('stdout', d));
  child.stderr!.on('data', d => log.write('stderr', d));
  const startedAt = new Date().toISOString();
  if (child.pid)
    fs.writeFileSync(
      files.pid,
      `${child.pid} ${processStart(child.pid) ?? ''}\n`,
    );
  const exited = new Promise<Exit>(resolve => {
    let startError: Error | undefined;
    child.on('error', e => {
      startError = e;
    });
    child.on('close', (code, sig) => {
      log.close();
      fs.rmSync(files.pid, { force: true });
      const finishedAt = new Date().toISOString();
      if (startError && code === null && !sig) {
        const why =
          (startError as NodeJS.ErrnoException).code === 'ENOENT'
            ? `exec: "${spec.argv[0]}": executable file not found in $PATH`
            : `exec: "${spec.argv[0]}": ${startError.message}`;
        resolve({
          exitCode: 128,
          reason: 'StartError',
          message: why,
          finishedAt,
        });
        return;
      }
      const signal = sig ? os.constants.signals[sig] : undefined;
      const exitCode = signal ? 128 + signal : code ?? 0;
      resolve({
        exitCode,
        signal,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        message: terminationMessage(container, files, exitCode),
        finishedAt,
      });
    });
  });
  return { pid: child.pid ?? 0, startedAt, exited };
}

/** A process's start time in clock ticks (field 22 of /proc/<pid>/stat): tells a pid from a reused one. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Kills what a dead kubelet left running, from the pid files of a pod's containers. */
export function killLeftovers(podDir: string): void {
  const root = path.join(podDir, 'containers');
  let names: string[] = [];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const file = containerFiles(podDir, name).pid;
    try {
      const [pid, start] = fs.readFileSync(file, 'utf8').trim().split(' ');
      if (start && processStart(Number(pid)) === start)
        process.kill(-Number(pid), 'SIGKILL');
    } catch {
      // no pid file, or the process is gone
    }
    fs.rmSync(file, { force: true });
  }
}
