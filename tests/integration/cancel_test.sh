#!/usr/bin/env bash
# scancel ends a running job and everything it spawned, even a grandchild that daemonized
# with setsid; scancel is silent about finished and unknown ids; --signal reports them.
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"

tag=drover-it-$$-$RANDOM
cat > job.sh <<SCRIPT
#!/bin/bash
setsid bash -c 'exec -a $tag-daemon sleep 300' &
( bash -c 'exec -a $tag-orphan sleep 300' & ) &
exec -a $tag-main sleep 300
SCRIPT
id=$(sbatch --parsable job.sh)
wait_until 30 sh -c "[ \$(pgrep -fc '^$tag-') -ge 3 ]"
pass "job $id started its three processes"

scancel "$id" || fail "scancel exited $?"
state=$(job_state "$id")
[ "$state" = CANCELLED ] || fail "after scancel the job is $state"
pass "scancel: job shows CANCELLED at once"
wait_until 30 sh -c "! pgrep -f '^$tag-'"
pass "no process of the job is left, setsid grandchild included"

scancel "$id" || fail "scancel of a finished job failed"
scancel 99999 || fail "scancel of an unknown job failed"
pass "scancel is silent and exits 0 for finished and unknown ids"
if scancel --signal=USR1 99999 2>/dev/null; then fail "scancel --signal of an unknown job succeeded"; fi
pass "scancel --signal reports an unknown job"

# A signal reaches the running script without ending it.
cat > trap.sh <<'SCRIPT'
#!/bin/bash
trap 'echo got USR1; exit 0' USR1
echo ready
for i in $(seq 1 600); do sleep 0.1; done
SCRIPT
id=$(sbatch --parsable -o trap.out trap.sh)
wait_until 30 grep -q ready trap.out
scancel --signal=USR1 "$id" || fail "scancel --signal USR1 failed"
wait_until 30 job_done "$id"
grep -q "got USR1" trap.out || fail "the script did not see USR1: $(cat trap.out)"
[ "$(job_state "$id")" = COMPLETED ] || fail "job ended $(job_state "$id")"
pass "scancel --signal=USR1 delivered the signal"

if is_root; then
  id=$(sbatch --parsable --wrap 'sleep 300')
  wait_until 30 sh -c "[ \"\$(squeue -h -j $id -o %T)\" = RUNNING ]"
  if setpriv --reuid=nobody --regid=nogroup --clear-groups scancel "$id" 2>/dev/null; then
    fail "another user cancelled root's job"
  fi
  [ "$(job_state "$id")" = RUNNING ] || fail "job $id is $(job_state "$id") after a refused cancel"
  scancel "$id"
  pass "a user cannot cancel another user's job"
fi
