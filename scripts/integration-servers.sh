#!/bin/sh
# Set up what the integration suite (tests/integration/, marker `integration`) needs on this machine:
# PostgreSQL and PgBouncer 1.18 from Debian's packages, and PgBouncer 1.25.2 built from the vendored
# tarball into a cache directory outside the repository (reused when it is already there).
#
#   scripts/integration-servers.sh            # install (as root: apt-get) and build
#   python -m pytest -q -m integration        # then run the suite
#
# PINLINT_INTEGRATION_CACHE   where 1.25.2 is built (default ~/.cache/pinlint-integration)
# PINLINT_PGBOUNCER_TARBALL   the tarball (default: ../shared/vendor/ beside the checkout, else /work/shared/vendor/)
set -eu
here="$(cd "$(dirname "$0")/.." && pwd)"
home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
cache="${PINLINT_INTEGRATION_CACHE:-$home/.cache/pinlint-integration}"
version=1.25.2
binary="$cache/pgbouncer-$version/pgbouncer"

need_apt=""
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need_apt=1
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt=1
if [ ! -x "$binary" ]; then
    for tool in autoconf automake libtool pkg-config; do command -v "$tool" >/dev/null 2>&1 || need_apt=1; done
    [ -f /usr/include/event2/event.h ] || need_apt=1
    [ -f /usr/include/openssl/ssl.h ] || need_apt=1
fi
if [ -n "$need_apt" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "as root, run: apt-get install -y postgresql pgbouncer autoconf automake libtool pkg-config libevent-dev libssl-dev make gcc" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q postgresql pgbouncer autoconf automake libtool pkg-config libevent-dev libssl-dev make gcc >/dev/null
fi
# Debian's package starts its own pgbouncer and cluster; the suite starts its own, on free ports.
if [ "$(id -u)" = 0 ] && command -v systemctl >/dev/null 2>&1; then systemctl stop pgbouncer >/dev/null 2>&1 || true; fi

if [ ! -x "$binary" ]; then
    tarball="${PINLINT_PGBOUNCER_TARBALL:-}"
    if [ -z "$tarball" ]; then
        for candidate in "$here/../shared/vendor/pgbouncer-$version.tar.gz" /work/shared/vendor/pgbouncer-$version.tar.gz; do
            if [ -f "$candidate" ]; then tarball="$candidate"; break; fi
        done
    fi
    if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then
        # Not fatal: the suite still runs on Debian's PgBouncer, and the 1.25.2 variants skip saying why.
        echo "pinlint: warning: pgbouncer-$version.tar.gz not found (set PINLINT_PGBOUNCER_TARBALL): the PgBouncer $version variants will be skipped" >&2
        exit 0
    fi
    mkdir -p "$cache"
    work="$(mktemp -d "$cache/build.XXXXXX")"
    tar -xzf "$tarball" -C "$work"
    (
        cd "$work/pgbouncer-$version"
        ./autogen.sh >build.log 2>&1
        ./configure --without-cares --without-systemd >>build.log 2>&1
        make -j2 pgbouncer >>build.log 2>&1
    ) || { echo "building PgBouncer $version failed: see $work/pgbouncer-$version/build.log" >&2; exit 1; }
    rm -rf "$cache/pgbouncer-$version"
    mkdir -p "$cache/pgbouncer-$version"
    cp "$work/pgbouncer-$version/pgbouncer" "$binary"
    rm -rf "$work"
fi
echo "PgBouncer $version: $binary"
echo "PgBouncer (Debian): $(/usr/sbin/pgbouncer --version 2>/dev/null | head -n1)"
echo "PostgreSQL: $(ls -d /usr/lib/postgresql/*/bin | tail -n1)"
