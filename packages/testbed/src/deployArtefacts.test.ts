/**
 * The deploy artefacts (deploy/docker, deploy/kubernetes) cannot be built or applied on the project machines (no
 * container engine; deployManifests.e2e.test.ts applies the manifests to the testbed's API server). This keeps them
 * honest without building: the agent image carries exactly the client majors 14-18 and says so in
 * BACKLOT_PG_BIN_DIRS, runs as a numeric non-root user, every file a COPY takes from the context exists in the
 * repository and is not left out by the .dockerignore in force, the process kubelet's image table gives the image
 * the same clients, and the Role grants only the runner's verbs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SERVER_MAJORS } from './config';
import {
  AGENT_IMAGE,
  DOCKER_DIR as DOCKER,
  MANIFESTS_DIR,
  REPO_DIR as REPO,
  RUNNER_RULES,
  manifest as objects,
} from './deploy';
import { resolveImage } from './kubelet/images';

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions by stage: comments dropped, backslash continuations joined (the default escape character). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      if (!/^\s*#/.test(lines[i])) line += lines[i];
    }
    const m = /^\s*(\w+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`line ${start}: cannot parse ${line}`);
    const instruction = {
      keyword: m[1].toUpperCase(),
      args: m[2].trim(),
      line: start,
    };
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/);
      stages.push({
        from,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else {
      if (!stages.length) throw new Error(`line ${start}: before any FROM`);
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return stages;
}

function dockerfile(name: string): Stage[] {
  return parseDockerfile(fs.readFileSync(path.join(DOCKER, name), 'utf8'));
}

const finalStage = (stages: Stage[]) => stages[stages.length - 1];
const all = (stage: Stage, keyword: string) =>
  stage.instructions.filter(i => i.keyword === keyword);

/** COPY's flags (--from, --chown, ...), sources and destination; the JSON form too. */
function parseCopy(args: string) {
  const words = args.startsWith('[') ? [] : args.split(/\s+/).filter(Boolean);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [k, v = ''] = words.shift()!.slice(2).split('=');
    flags[k] = v;
  }
  const paths = args.startsWith('[') ? (JSON.parse(args) as string[]) : words;
  return { flags, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
}

/** ENV in its key=value form (several pairs allowed). */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of all(stage, 'ENV')) {
    for (const m of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g))
      env[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/**
 * The .dockerignore BuildKit uses for a Dockerfile: <Dockerfile>.dockerignore beside it, else the context root's.
 * Patterns as Docker reads them (filepath.Match plus `**`, `!` re-includes, the last match wins); a pattern that
 * matches a folder leaves out all it holds.
 */
function ignoredBy(dockerfileName: string): (rel: string) => boolean {
  const specific = path.join(DOCKER, `${dockerfileName}.dockerignore`);
  const file = fs.existsSync(specific)
    ? specific
    : path.join(REPO, '.dockerignore');
  const rules = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map(l => l.trim())
    .filter(l => l && !l.startsWith('#'))
    .map(l => {
      const negate = l.startsWith('!');
      const pattern = path.posix.normalize(
        (negate ? l.slice(1) : l).replace(/^\/+/, ''),
      );
      const re = pattern
        .split('/')
        .map(part =>
          part === '**'
            ? '.*'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return rel => {
    const parts = rel.split('/');
    let ignored = false;
    for (let n = 1; n <= parts.length; n++) {
      const prefix = parts.slice(0, n).join('/');
      for (const { negate, re } of rules)
        if (re.test(prefix)) ignored = !negate;
      if (ignored) return true;
    }
    return ignored;
  };
}

/** Files a COPY from the build context names: each source must exist in the repository and be in the context. */
function contextSources(name: string) {
  const ignored = ignoredBy(name);
  const sources: { source: string; line: number }[] = [];
  for (const stage of dockerfile(name))
    for (const copy of all(stage, 'COPY')) {
      const { flags, sources: s } = parseCopy(copy.args);
      if (flags.from === undefined)
        for (const source of s) sources.push({ source, line: copy.line });
    }
  return sources.map(({ source, line }) => {
    const rel = path.posix.normalize(source).replace(/\/$/, '');
    const full = path.join(REPO, rel);
    return {
      line,
      source,
      exists: fs.existsSync(full),
      inContext: !ignored(rel),
    };
  });
}

const agentPackage = JSON.parse(
  fs.readFileSync(path.join(REPO, 'packages', 'agent', 'package.json'), 'utf8'),
);

describe('deploy/docker/agent.Dockerfile', () => {
  const stages = dockerfile('agent.Dockerfile');
  const image = finalStage(stages);

  it(`is ${AGENT_IMAGE}: the agent package's version`, () => {
    expect(`backlot/agent:${agentPackage.version}`).toBe(AGENT_IMAGE);
    expect(
      fs.readFileSync(path.join(DOCKER, 'agent.Dockerfile'), 'utf8'),
    ).toContain(`-t ${AGENT_IMAGE} `);
  });

  it('installs exactly the PostgreSQL clients 14-18 from PGDG', () => {
    const runs = all(image, 'RUN').map(r => r.args);
    const packages = runs.flatMap(r =>
      [...r.matchAll(/\bpostgresql-client-(\d+)\b/g)].map(m => Number(m[1])),
    );
    expect([...new Set(packages)].sort()).toEqual([...SERVER_MAJORS]);
    expect(packages).toHaveLength(SERVER_MAJORS.length);
    expect(runs.join('\n')).toMatch(
      /deb \[signed-by=[^\]]+\] https:\/\/apt\.postgresql\.org\/pub\/repos\/apt \$\{VERSION_CODENAME\}-pgdg main/,
    );
  });

  it('names their bin dirs in BACKLOT_PG_BIN_DIRS, newest first, and nothing else', () => {
    const dirs = envOf(image).BACKLOT_PG_BIN_DIRS.split(':');
    expect(dirs).toEqual(
      [...SERVER_MAJORS].reverse().map(m => `/usr/lib/postgresql/${m}/bin`),
    );
  });

  it('runs as the numeric non-root user 10001:10001, set last', () => {
    const users = all(image, 'USER');
    expect(users.map(u => u.args)).toEqual(['10001:10001']);
    const [uid, gid] = users[0].args.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    const after = image.instructions.filter(i => i.line > users[0].line);
    expect(after.map(i => i.keyword)).toEqual(['ENTRYPOINT']);
  });

  it('starts backlot-agent, the esbuild bundle of the repository, on Node 22', () => {
    expect(JSON.parse(all(image, 'ENTRYPOINT')[0].args)).toEqual([
      'backlot-agent',
    ]);
    for (const stage of stages)
      expect(stage.from).toBe('node:22-bookworm-slim');
    // the bundle a stage builds with the package's own script is the file the image copies
    const outfile = /--outfile=(\S+)/.exec(agentPackage.scripts.bundle)![1];
    const build = stages.find(s => s.name === 'build')!;
    expect(all(build, 'RUN').map(r => r.args)).toContainEqual(
      expect.stringContaining('yarn workspace @backlot/agent bundle'),
    );
    const copied = all(image, 'COPY').map(c => parseCopy(c.args));
    expect(copied).toContainEqual(
      expect.objectContaining({
        flags: { from: 'build' },
        sources: [`/app/packages/agent/${outfile}`],
      }),
    );
    expect(copied).toContainEqual(
      expect.objectContaining({
        sources: [`/app/packages/agent/${agentPackage.bin['backlot-agent']}`],
      }),
    );
  });

  it("agrees with the process kubelet's image table: client dirs (in order) and user", () => {
    // the table's entry for the image, with a host that has every client where the image has it
    const lookup = resolveImage(AGENT_IMAGE, {
      clientBin: major => `/usr/lib/postgresql/${major}/bin`,
      nodeBin: () => '/usr/local/bin',
      agentEntrypoint: () => '/usr/local/bin/backlot-agent',
    });
    if (!('image' in lookup)) throw new Error(lookup.error);
    expect(lookup.image.env.BACKLOT_PG_BIN_DIRS).toBe(
      envOf(image).BACKLOT_PG_BIN_DIRS,
    );
    const [uid, gid] = all(image, 'USER')[0].args.split(':').map(Number);
    expect(lookup.image.user).toBe(uid);
    expect(lookup.image.passwd).toEqual({ [uid]: gid });
  });

  it('takes from the context only files that exist and are not ignored', () => {
    const sources = contextSources('agent.Dockerfile');
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter(s => !s.exists || !s.inContext)).toEqual([]);
  });
});

describe('deploy/docker/backend.Dockerfile', () => {
  const stages = dockerfile('backend.Dockerfile');
  const image = finalStage(stages);

  it('is the multi-stage build: skeleton, build, image; the image runs as node, not root', () => {
    expect(stages.map(s => s.name)).toEqual(['packages', 'build', undefined]);
    const users = all(image, 'USER').map(u => u.args);
    expect(users).toEqual(['node']);
    const cmd = JSON.parse(all(image, 'CMD')[0].args) as string[];
    expect(cmd.slice(0, 2)).toEqual(['node', 'packages/backend']);
    // every --config it names is copied into the image
    const configs = cmd.filter((_, i) => cmd[i - 1] === '--config');
    const copied = all(image, 'COPY').flatMap(c => parseCopy(c.args).sources);
    for (const config of configs) expect(copied).toContain(config);
  });

  it('takes from the context only files that exist and are not ignored', () => {
    const sources = contextSources('backend.Dockerfile');
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter(s => !s.exists || !s.inContext)).toEqual([]);
  });
});

describe('.dockerignore matching (as used above)', () => {
  it('leaves out what the host build leaves out, keeps the sources for the multi-stage builds', () => {
    const root = ignoredBy('no-such.Dockerfile');
    expect(root('packages/agent/src')).toBe(true);
    expect(root('plugins/db-backups/package.json')).toBe(true);
    expect(root('packages/backend/dist/bundle.tar.gz')).toBe(false);
    const agent = ignoredBy('agent.Dockerfile');
    expect(agent('packages/agent/src/cli.ts')).toBe(false);
    expect(agent('packages/agent/dist/backlot-agent.cjs')).toBe(true);
    expect(agent('plugins/db-backups/node_modules/x')).toBe(true);
    expect(agent('node_modules')).toBe(true);
    expect(agent('app-config.yaml')).toBe(false);
    expect(agent('app-config.local.yaml')).toBe(true);
  });
});

describe('deploy/kubernetes', () => {
  it('the kustomization lists every manifest in the folder', () => {
    const [kustomization] = objects('kustomization.yaml');
    const manifests = fs
      .readdirSync(MANIFESTS_DIR)
      .filter(f => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .sort();
    expect([...kustomization.resources].sort()).toEqual(manifests);
  });

  it('the Role grants only the runner verbs, in backlot-jobs, to the backend SA', () => {
    const [role] = objects('role.yaml');
    expect(role.metadata.namespace).toBe('backlot-jobs');
    expect(role.rules).toEqual(RUNNER_RULES);
    const [binding] = objects('rolebinding.yaml');
    const [sa] = objects('serviceaccount.yaml');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: role.metadata.name,
    });
    expect(binding.subjects).toEqual([
      {
        kind: 'ServiceAccount',
        name: sa.metadata.name,
        namespace: sa.metadata.namespace,
      },
    ]);
  });

  it('the Namespace enforces, audits and warns at restricted', () => {
    const [ns] = objects('namespace.yaml');
    for (const mode of ['enforce', 'audit', 'warn'])
      expect(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`]).toBe(
        'restricted',
      );
  });

  it(`the README's config names the agent image ${AGENT_IMAGE}`, () => {
    const readme = fs.readFileSync(
      path.join(MANIFESTS_DIR, 'README.md'),
      'utf8',
    );
    expect(readme).toContain(`image: ${AGENT_IMAGE}`);
  });
});
