#!/usr/bin/env bash
# Builds the testbed's Kubernetes control plane (kube-apiserver, kube-controller-manager, kube-scheduler), etcd and
# kubectl (same version, for people and tests) from the Go modules in ../k8s and ../etcd, cached outside the
# checkout, keyed by both versions.
#
# The versions are the ones those go.mod files pin (the only place they are written; src/kubernetes.ts reads them
# the same way). A build lives in <cache-dir>/k8s-<k8s version>-etcd-<etcd version>/bin; it counts only once it has
# written .complete, so a killed build is never taken for a good one. A complete build that lacks a binary named
# in EXTRA (one added to this script after that build was made: kubectl) gets just that binary built, through a
# staging folder moved in when done, instead of the whole set again. GOMODCACHE and GOCACHE live under
# <cache-dir>/go, so a second build on the same machine (another version, or after the bin dir was deleted) reuses
# the downloaded modules and compiled packages.
#
# Measured on the 2-core project machine: cold (empty Go caches: module download + build) and warm times are in
# packages/testbed/README.md.
#
# usage: build-k8s.sh <cache-dir>   prints the bin dir on stdout, logs on stderr
set -euo pipefail
cache=${1:?usage: build-k8s.sh <cache-dir>}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "[k8s] $*" >&2; }

modversion() { sed -n "s|^require $2 \(v[^ ]*\)\$|\1|p" "$here/$1/go.mod"; }
k8s=$(modversion k8s k8s.io/kubernetes)
etcd=$(modversion etcd go.etcd.io/etcd/server/v3)
[ -n "$k8s" ] && [ -n "$etcd" ] || { log "cannot read the pinned versions from $here/{k8s,etcd}/go.mod"; exit 1; }
dest="$cache/k8s-${k8s#v}-etcd-${etcd#v}"
# Built on top of a complete build when missing (see above); the control plane itself is all or nothing.
EXTRA=(kubectl)
missing=()
if [ -f "$dest/.complete" ]; then
  for b in "${EXTRA[@]}"; do [ -x "$dest/bin/$b" ] || missing+=("$b"); done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "$dest/bin"
    exit 0
  fi
fi
# Go's tarball installs into /usr/local/go, which a non-login shell (CI) may not have on PATH
command -v go >/dev/null || [ ! -x /usr/local/go/bin/go ] || export PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null || { log "go is not installed (Go 1.24 or newer builds Kubernetes 1.34)"; exit 1; }

export CGO_ENABLED=0
export GOMODCACHE="$cache/go/mod"
export GOCACHE="$cache/go/build"
# -modcacherw: the module cache is then deletable with a plain rm -rf; -mod=readonly: go.sum is the truth.
export GOFLAGS="-modcacherw -mod=readonly -buildvcs=false -trimpath"
# The installed Go (1.26) builds these modules; do not let a go line fetch another toolchain.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

start=$SECONDS
major=${k8s#v}
major=${major%%.*}
minor=${k8s#v*.}
minor=${minor%%.*}
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
ldflags+=" -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$k8s -X k8s.io/client-go/pkg/version.gitMajor=$major"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"

if [ ${#missing[@]} -gt 0 ]; then
  log "adding ${missing[*]} $k8s to the complete build in $dest"
  staging="$dest/staging-$$"
  rm -rf "$dest"/staging-*
  mkdir -p "$staging"
  (cd "$here/k8s" && go build -ldflags "$ldflags" -o "$staging/" "${missing[@]/#/k8s.io/kubernetes/cmd/}") >&2
  mv "$staging"/* "$dest/bin/"
  rmdir "$staging"
  log "built ${missing[*]} in $((SECONDS - start)) s"
  echo "$dest/bin"
  exit 0
fi

rm -rf "$dest"
mkdir -p "$dest/bin"
log "building etcd $etcd (GOMODCACHE/GOCACHE under $cache/go)"
(cd "$here/etcd" && go build -ldflags "-s -w" -o "$dest/bin/etcd" go.etcd.io/etcd/server/v3) >&2
log "etcd built after $((SECONDS - start)) s; building kube-apiserver, kube-controller-manager, kube-scheduler, ${EXTRA[*]} $k8s (a cold build takes a long while on 2 cores)"
(cd "$here/k8s" && go build -ldflags "$ldflags" -o "$dest/bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler "${EXTRA[@]/#/k8s.io/kubernetes/cmd/}") >&2
"$dest/bin/kube-apiserver" --version >&2
"$dest/bin/etcd" --version | head -n 1 >&2
log "built in $((SECONDS - start)) s"
printf 'kubernetes=%s\netcd=%s\n' "$k8s" "$etcd" >"$dest/.complete"
echo "$dest/bin"
