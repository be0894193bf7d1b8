/**
 * The host side of the image table: bin dirs any uid can run. The testbed's client builds and Node live in the
 * cache under root's home (often 0700), where a container running as uid 999 could not reach them, so they are
 * "pulled" once into the kubelet's image dir under the state dir: hard links (copies across file systems), the way
 * the servers' binaries are copied out for the postgres user. The client builds find their libpq through an absolute
 * RUNPATH into the cache; in the pulled copy that string is rewritten to `$ORIGIN/../lib` (shorter, NUL-padded: the
 * dynamic string table keeps its layout), so each pg_dump still loads its own libpq and not the system's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findClientBin } from '../clients';
import { PACKAGE_DIR } from '../config';
import { ImageHost } from './images';
import { imagesDir } from './paths';

function everyoneCanReach(p: string): boolean {
  for (let dir = p; ; dir = path.dirname(dir)) {
    try {
      if ((fs.statSync(dir).mode & 0o005) !== 0o005) return false;
    } catch {
      return false;
    }
    if (dir === path.dirname(dir)) return true;
  }
}

/** An ELF file naming `runpath` gets a copy that names `$ORIGIN/../lib` instead; false when there is none. */
function copyRelocated(src: string, dest: string, runpath: string): boolean {
  const data = fs.readFileSync(src);
  const from = Buffer.from(`${runpath}\0`);
  if (data.subarray(0, 4).toString('latin1') !== '\x7fELF') return false;
  if (data.indexOf(from) === -1) return false;
  const to = Buffer.alloc(from.length);
  to.write('$ORIGIN/../lib');
  for (let at = data.indexOf(from); at !== -1; at = data.indexOf(from, at))
    to.copy(data, at);
  fs.writeFileSync(dest, data, { mode: fs.statSync(src).mode & 0o777 });
  return true;
}

function linkTree(src: string, dest: string, runpath?: string): void {
  const st = fs.lstatSync(src);
  if (st.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(src), dest);
  } else if (st.isDirectory()) {
    fs.mkdirSync(dest, { mode: 0o755 });
    fs.chmodSync(dest, 0o755);
    for (const entry of fs.readdirSync(src))
      linkTree(path.join(src, entry), path.join(dest, entry), runpath);
  } else if (!runpath || !copyRelocated(src, dest, runpath)) {
    try {
      fs.linkSync(src, dest);
    } catch {
      fs.copyFileSync(src, dest);
      fs.chmodSync(dest, st.mode & 0o777);
    }
  }
}

/** `src` itself when every uid can reach it, else a copy named `name` in the image dir (made once). */
function reachable(src: string, name: string): string {
  if (everyoneCanReach(src)) return src;
  const dest = path.join(imagesDir(), name);
  if (fs.existsSync(dest)) return dest;
  fs.mkdirSync(imagesDir(), { recursive: true, mode: 0o755 });
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  linkTree(src, tmp, path.join(src, 'lib'));
  fs.renameSync(tmp, dest);
  return dest;
}

export function hostImages(): ImageHost {
  return {
    clientBin(major) {
      const bin = findClientBin(major);
      if (!bin) return undefined;
      // the whole build (bin and lib: pg_dump finds its libpq through the rpath $ORIGIN/../lib)
      const build = path.dirname(bin);
      return path.join(reachable(build, path.basename(build)), 'bin');
    },
    nodeBin() {
      const dir = path.dirname(process.execPath);
      if (everyoneCanReach(process.execPath)) return dir;
      const dest = path.join(imagesDir(), `node-${process.version}`, 'bin');
      if (!fs.existsSync(path.join(dest, 'node'))) {
        const single = fs.mkdtempSync(path.join(imagesDir(), 'node-'));
        fs.chmodSync(single, 0o755);
        linkTree(process.execPath, path.join(single, 'node'));
        fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
        fs.renameSync(single, dest);
      }
      return dest;
    },
    agentEntrypoint() {
      return path.resolve(PACKAGE_DIR, '..', 'agent', 'bin', 'backlot-agent');
    },
  };
}
