#!/usr/bin/env bash
# Builds the PostgreSQL client programs (pg_dump, pg_dumpall, pg_restore, psql, libpq) of one major from
# Debian's source package, because Debian 12 only ships the client of major 15 and the newer binary
# packages need a newer glibc. The result is cached outside the checkout, keyed by the source version.
#
# usage: build-pg-client.sh <major> <cache-dir>   prints the bin dir on stdout, logs on stderr
set -euo pipefail
major=$1
cache=$2
log() { echo "[pg-client $major] $*" >&2; }

# A build counts only once it has written .complete, so a killed build is never taken for a good one.
existing=$(ls -d "$cache"/pg-client-"$major".*/.complete 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$existing" ]; then
  echo "$(dirname "$existing")/bin"
  exit 0
fi

case "$major" in
  17) suite=trixie ;;
  18) suite=sid ;;
  *) log "no recipe for major $major: use Debian's postgresql-client-$major or add a suite here"; exit 4 ;;
esac

if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
need=()
for pkg in bison flex liblz4-dev libzstd-dev zlib1g-dev libssl-dev make gcc curl bzip2; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing build dependencies: ${need[*]}"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi

# A deb-src entry for the newer suite on the mirror this machine already uses.
mirror=$( { sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources; awk '$1 == "deb" {print $2}' /etc/apt/sources.list; } 2>/dev/null \
  | tr ' ' '\n' | grep -E '/debian/?$' | head -n 1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
srcfile=/etc/apt/sources.list.d/backlot-pg-src-$suite.sources
if [ ! -f "$srcfile" ]; then
  log "adding deb-src for $suite from $mirror"
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$suite" | $SUDO tee "$srcfile" >/dev/null
  $SUDO apt-get update -qq >&2
fi

# The index names the newest version; this machine's mirror can lag behind its own index, so older
# point releases of the same major are tried when the newest tarball is not there yet.
listed=$(apt-cache showsrc "postgresql-$major" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
[ -n "$listed" ] || { log "no source of postgresql-$major in the $suite index"; exit 1; }
upstream=${listed%%-*}
minor=${upstream#*.}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
tarball=
for ((m = minor; m >= 0 && m > minor - 6; m--)); do
  url="$mirror/pool/main/p/postgresql-$major/postgresql-${major}_$major.$m.orig.tar.bz2"
  if curl -fsSL -o src.tar.bz2 "$url"; then tarball=$url; version=$major.$m; break; fi
done
[ -n "$tarball" ] || { log "could not download the source of postgresql-$major from $mirror"; exit 1; }
log "building $version from $tarball"
dest="$cache/pg-client-$version"
rm -rf "$dest"
mkdir src && tar -xjf src.tar.bz2 -C src --strip-components=1
cd src
log "configuring $version"
./configure --prefix="$dest" --without-icu --without-readline --with-lz4 --with-zstd --with-openssl >"$work/configure.log" 2>&1 \
  || { tail -n 30 "$work/configure.log" >&2; exit 1; }
jobs=$(nproc)
log "building (about 2-3 minutes)"
{
  make -j"$jobs" -C src/backend generated-headers
  make -j"$jobs" -C src/interfaces/libpq install
  make -j"$jobs" -C src/bin/pg_dump install
  make -j"$jobs" -C src/bin/psql install
} >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
touch "$dest/.complete"
"$dest/bin/pg_dump" --version >&2
echo "$dest/bin"
