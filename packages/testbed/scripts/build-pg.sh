#!/usr/bin/env bash
# Builds PostgreSQL of one major from Debian's source package, cached outside the checkout, keyed by the
# source version. Two recipes share the download:
#
#   client  the client programs (pg_dump, pg_dumpall, pg_restore, psql, libpq): Debian 12 only ships the client
#           of major 15 and the newer binary packages need a newer glibc.
#   server  the whole server (src/, not contrib) with PostgreSQL's default configure options plus lz4, i.e. what
#           users get from `./configure --with-lz4 && make install`: no libxml (xpath() fails), no openssl, only
#           plpgsql. The testbed's other servers (embedded-postgres) all have libxml and contrib, so this is the
#           only one that looks like a self-built server. lz4 is on because none of the embedded servers (14-18)
#           has it: this is the testbed's only source of lz4-compressed columns, for restoring such an archive into
#           a server without lz4.
#
# A build lives in <cache-dir>/<name>-<version>, <name> being pg-client or pg-server-lz4 (src/builds.ts,
# BUILD_NAMES, mirrors this; change both when a recipe changes what it builds, so an older build is not reused:
# the lz4-less server was pg-server-<version>).
#
# usage: build-pg.sh client|server <major> <cache-dir>   prints the bin dir on stdout, logs on stderr
set -euo pipefail
mode=$1
major=$2
cache=$3
case "$mode" in
  client | server) ;;
  *) echo "usage: $0 client|server <major> <cache-dir>" >&2; exit 2 ;;
esac
log() { echo "[pg-$mode $major] $*" >&2; }
case "$mode" in
  client) name=pg-client ;;
  server) name=pg-server-lz4 ;;
esac

# A build counts only once it has written .complete, so a killed build is never taken for a good one.
existing=$(ls -d "$cache/$name-$major".*/.complete 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$existing" ]; then
  echo "$(dirname "$existing")/bin"
  exit 0
fi

case "$major" in
  17) suite=trixie ;;
  18) suite=sid ;;
  *) log "no recipe for major $major: use Debian's postgresql-$major or add a suite here"; exit 4 ;;
esac

if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
# perl: since PostgreSQL 17 the tarballs no longer carry the generated sources (distprep is gone), so bison,
# flex and perl run during every build
deps=(bison flex perl zlib1g-dev liblz4-dev make gcc curl bzip2)
[ "$mode" = client ] && deps+=(libzstd-dev libssl-dev)
need=()
for pkg in "${deps[@]}"; do
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
dest="$cache/$name-$version"
rm -rf "$dest"
mkdir src && tar -xjf src.tar.bz2 -C src --strip-components=1
cd src
if [ "$mode" = client ]; then
  configure=(--without-icu --without-readline --with-lz4 --with-zstd --with-openssl)
else
  # PostgreSQL's defaults, minus the two libraries its configure turns on by itself, plus lz4. ICU (default since
  # 16) and readline are not among the packages the project's machines are given (PG_BUILD_PACKAGES), so they are
  # switched off rather than picked up by chance (this dev machine happens to have their headers; a fresh one
  # does not). lz4 is asked for: the embedded servers have none, and the tests need a server that writes
  # lz4-compressed columns. libxml, zstd and openssl stay off (off unless asked for, whatever headers are installed).
  configure=(--without-icu --without-readline --with-lz4)
fi
log "configuring $version: ${configure[*]}"
./configure --prefix="$dest" "${configure[@]}" >"$work/configure.log" 2>&1 \
  || { tail -n 30 "$work/configure.log" >&2; exit 1; }
jobs=$(nproc)
if [ "$mode" = client ]; then
  log "building the client programs (about 2-3 minutes)"
  {
    make -j"$jobs" -C src/backend generated-headers
    make -j"$jobs" -C src/interfaces/libpq install
    make -j"$jobs" -C src/bin/pg_dump install
    make -j"$jobs" -C src/bin/psql install
  } >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
  "$dest/bin/pg_dump" --version >&2
else
  # The testbed copies the install into its state dir (the postgres OS user often cannot read the cache, e.g.
  # under /root), so the programs find libpq next to themselves ($ORIGIN) rather than at the build's prefix.
  # Makefile.linux single-quotes rpathdir, so the shell passes $ORIGIN through literally.
  log "building the server (about 2 minutes)"
  {
    make -j"$jobs" rpathdir='$$ORIGIN/../lib'
    make install rpathdir='$$ORIGIN/../lib'
  } >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
  "$dest/bin/postgres" --version >&2
fi
touch "$dest/.complete"
echo "$dest/bin"
