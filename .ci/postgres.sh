#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: unix socket only, no TCP, fsync off.
#
#   eval "$(.ci/postgres.sh start)"     # exports SQLBATCH_TEST_POSTGRES_URL and SQLBATCH_PG_BASE
#   .ci/postgres.sh stop [BASE]         # stops it and removes its folder (BASE or $SQLBATCH_PG_BASE)
#   .ci/postgres.sh run -- CMD ARGS...  # start, run CMD with the variables set, always stop
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user
# (runuser) in a folder that user owns; the socket sits in that folder. The binaries come
# from $PG_BIN, else the newest /usr/lib/postgresql/*/bin, else PATH.
# start prints only the export lines on stdout (the server's log stays in BASE/log).
set -euo pipefail

DBNAME=${SQLBATCH_PG_DBNAME:-sqlbatch_test}

find_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$d" && -x "$d/pg_ctl" ]]; then echo "$d"; return; fi
    if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
    echo "postgres.sh: no PostgreSQL server binaries (set PG_BIN, or apt-get install postgresql)" >&2
    exit 4
}

# as root: run as postgres; otherwise as ourselves
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    local bin base user url
    bin=$(find_bin)
    base=$(mktemp -d /tmp/sqlbatch-pg.XXXXXX)
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$base"
        user=postgres
    else
        user=$(id -un)
    fi
    # -A trust: the socket is in a private folder, nobody else can reach it
    as_owner "$bin/initdb" -D "$base/data" -U "$user" -A trust --no-sync -E UTF8 --locale=C >"$base/initdb.log" 2>&1 \
        || { cat "$base/initdb.log" >&2; exit 5; }
    as_owner "$bin/pg_ctl" -D "$base/data" -l "$base/log" -w -t 60 \
        -o "-c listen_addresses='' -k $base -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { cat "$base/log" >&2; exit 6; }
    as_owner "$bin/createdb" -h "$base" -U "$user" "$DBNAME"
    url="postgresql:///$DBNAME?host=$base&user=$user"
    echo "$url" >"$base/url"
    printf "export SQLBATCH_TEST_POSTGRES_URL='%s'\nexport SQLBATCH_PG_BASE='%s'\n" "$url" "$base"
}

stop() {
    local base=${1:-${SQLBATCH_PG_BASE:-}} bin
    if [[ -z "$base" || ! -d "$base/data" ]]; then
        echo "postgres.sh stop: no cluster folder given (BASE or \$SQLBATCH_PG_BASE)" >&2
        exit 2
    fi
    bin=$(find_bin)
    as_owner "$bin/pg_ctl" -D "$base/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$base"
}

case "${1:-}" in
start) start ;;
stop) shift; stop "$@" ;;
run)
    shift
    [[ "${1:-}" == "--" ]] && shift
    lines=$(start)
    eval "$lines"
    trap 'stop "$SQLBATCH_PG_BASE"; exit 130' INT TERM
    set +e
    "$@"
    rc=$?
    stop "$SQLBATCH_PG_BASE"
    exit $rc
    ;;
*)
    echo "usage: $0 start | stop [BASE] | run -- CMD..." >&2
    exit 2
    ;;
esac
