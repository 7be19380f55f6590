#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server:
#
#   crates/store/scripts/with-postgres.sh cargo test -p callbridge-store
#
# Installs Debian's `postgresql` if it is missing, creates a fresh cluster in a temporary
# directory (owned by the `postgres` OS user when run as root), listening only on 127.0.0.1 on a
# free port with a random password, creates the database `callbridge_test`, exports
# CALLBRIDGE_TEST_POSTGRES_URL=postgres://postgres:PASSWORD@127.0.0.1:PORT/callbridge_test,
# runs the command, then stops the server by its pid and removes the directory. Exits with the
# command's status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

log() { printf 'with-postgres: %s\n' "$*" >&2; }

find_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        printf '%s\n' "$dir"
    fi
}

is_root() { [ "$(id -u)" -eq 0 ]; }

bindir=$(find_bindir)
if [ -z "$bindir" ]; then
    if ! is_root; then
        log "PostgreSQL is not installed and installing it needs root: apt-get install -y postgresql"
        exit 1
    fi
    log "installing Debian's postgresql"
    # Keep the package from starting its default cluster: we only want the binaries.
    policy_added=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_added=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y postgresql; then
        apt-get update
        apt-get install -y postgresql
    fi
    if [ -n "$policy_added" ]; then
        rm -f /usr/sbin/policy-rc.d
    fi
    bindir=$(find_bindir)
    if [ -z "$bindir" ]; then
        log "postgresql was installed but no initdb was found under /usr/lib/postgresql"
        exit 1
    fi
fi

# Run PostgreSQL's programs as the `postgres` OS user when we are root (it refuses to run as
# root), as ourselves otherwise.
as_pg() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

workdir=$(mktemp -d "${TMPDIR:-/tmp}/callbridge-pg.XXXXXX")
chmod 700 "$workdir"
if is_root; then
    chown postgres: "$workdir"
fi
datadir="$workdir/data"
server_pid=""

cleanup() {
    local status=$?
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        # SIGINT is PostgreSQL's "fast shutdown": disconnect clients, checkpoint, exit.
        kill -INT "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 300); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            log "server $server_pid did not stop in 30 s; sending SIGQUIT"
            kill -QUIT "$server_pid" 2>/dev/null || true
            sleep 1
        fi
    fi
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" >"$workdir/pwfile"
if is_root; then
    chown postgres: "$workdir/pwfile"
fi

log "initdb in $datadir"
as_pg "$bindir/initdb" -D "$datadir" -U postgres --pwfile="$workdir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >"$workdir/initdb.log" 2>&1 || {
    cat "$workdir/initdb.log" >&2
    exit 1
}
rm -f "$workdir/pwfile"

port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

started=""
for _ in $(seq 1 10); do
    port=$((20000 + RANDOM % 40000))
    port_is_free "$port" || continue
    # listen_addresses: loopback only. The Unix socket lives in our own directory.
    if as_pg "$bindir/pg_ctl" -D "$datadir" -l "$workdir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $workdir -c fsync=off" start >/dev/null; then
        started=1
        break
    fi
    log "could not start on port $port; trying another"
done
if [ -z "$started" ]; then
    log "PostgreSQL did not start; its log:"
    cat "$workdir/server.log" >&2 || true
    exit 1
fi
server_pid=$(head -n 1 "$datadir/postmaster.pid")
log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') running as pid $server_pid on 127.0.0.1:$port"

psql="$bindir/psql"
[ -x "$psql" ] || psql=psql
as_pg "$psql" -h "$workdir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE DATABASE callbridge_test" >/dev/null

export CALLBRIDGE_TEST_POSTGRES_URL="postgres://postgres:${password}@127.0.0.1:${port}/callbridge_test"
log "CALLBRIDGE_TEST_POSTGRES_URL=postgres://postgres:***@127.0.0.1:${port}/callbridge_test"

set +e
"$@"
status=$?
set -e
exit "$status"
