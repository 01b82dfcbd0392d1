# Shared helpers for the integration tests: each test gets its own directory and local
# cluster (ports picked free at `up`), so tests run in parallel; everything is torn down on
# exit, pass or fail.
set -euo pipefail

BIN=${1:?usage: $0 BIN_DIR}
export PATH=$BIN:$PATH
unset DROVER_CONF DROVER_LOCAL_DIR
TMP=$(mktemp -d /tmp/drover-it.XXXXXX)
chmod 755 "$TMP"
CLUSTER=$TMP/cluster

# If this script is killed outright (ctest's timeout sends SIGKILL) the trap below never runs:
# a watchdog outside our process tree (double fork, own session: whatever kills the test or
# its process group spares it) then takes down every cluster under $TMP (watchdog.sh). A
# PR_SET_PDEATHSIG in the daemons would not do: their parent is `drover local up`, which exits
# at once, not this script.
_start=$(cat /proc/$$/stat)
_start=${_start##*) }
read -ra _fields <<<"$_start"
( setsid bash "$(dirname "${BASH_SOURCE[0]}")/watchdog.sh" $$ "${_fields[19]}" "$TMP" "$BIN" \
  </dev/null >/dev/null 2>&1 & echo $! >"$TMP/watchdog.pid")
unset _start _fields

# Under the sanitizer build (scripts/test sets DROVER_SANITIZED) every drover process of the
# test — daemons, stepds, CLI — writes its ASan/UBSan/LSan report to a file here instead of a
# stderr that a daemon may have closed; any report fails the test after the cluster is down.
if [ -n "${DROVER_SANITIZED:-}" ]; then
  mkdir -p "$TMP/sanitizer"
  chmod 1777 "$TMP/sanitizer"
  # Leaks are left to the unit tests: daemons stopped by a signal with requests and timers in
  # flight free nothing on purpose, and a report of that would drown the real ones.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:log_path=$TMP/sanitizer/asan"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:log_path=$TMP/sanitizer/ubsan"
fi

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ] && [ -d "$CLUSTER/log" ]; then
    for f in "$CLUSTER"/log/*.log; do echo "--- $f" >&2; tail -n 30 "$f" >&2; done
  fi
  drover local down --dir "$CLUSTER" >/dev/null 2>&1 || true
  if [ -d "$TMP/sanitizer" ] && [ -n "$(ls -A "$TMP/sanitizer")" ]; then
    for f in "$TMP"/sanitizer/*; do echo "--- sanitizer report $f" >&2; head -n 60 "$f" >&2; done
    echo "FAIL: the sanitizers reported errors (above)" >&2
    rc=1
  fi
  if [ -f "$TMP/watchdog.pid" ]; then kill "$(cat "$TMP/watchdog.pid")" 2>/dev/null || true; fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

cluster_up() {
  eval "$(drover local up --dir "$CLUSTER" "$@")"
  export DROVER_CONF
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s until it succeeds; fails the test if it
# never does. The bound only keeps a broken build from hanging CI.
wait_until() {
  local limit=$1
  shift
  local tries=$((limit * 10))
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "timed out after ${limit}s waiting for: $*"
}

job_state() { squeue -h -t all -j "$1" -o %T; }
job_done() { case "$(job_state "$1")" in PENDING|RUNNING|"") return 1 ;; *) return 0 ;; esac; }
is_root() { [ "$(id -u)" -eq 0 ]; }
