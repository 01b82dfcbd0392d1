#!/usr/bin/env bash
# watchdog.sh PID START TMP BIN — lib.sh starts this outside the test's process tree. When the
# test script (PID, whose start time in /proc is START, so a reused PID is not mistaken for it)
# is gone, however it died, it stops every local cluster under TMP and removes TMP: what the
# test's own trap does when it gets to run. A test killed by ctest's timeout (SIGKILL) runs no
# trap, and its daemons — in sessions of their own, children of init — would run on for good.
pid=$1 start=$2 tmp=$3 bin=$4

# True while PID is the test and not a zombie (its parent may reap it late or never).
test_alive() {
  local stat
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # shellcheck disable=SC2086  # fields after "pid (comm) ": state is 1st, starttime 20th
  set -- ${stat##*) }
  [ "$1" != Z ] && [ "${20}" = "$start" ]
}

while test_alive && [ -d "$tmp" ]; do sleep 1; done
[ -d "$tmp" ] || exit 0  # the test cleaned up itself
for dir in "$tmp" "$tmp"/* "$tmp"/*/*; do
  if [ -d "$dir/run" ] && [ -f "$dir/drover.yaml" ]; then
    "$bin/drover" local down --dir "$dir" || true
  fi
done
rm -rf "$tmp"
