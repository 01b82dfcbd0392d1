#!/usr/bin/env bash
# A job past its time limit ends TIMEOUT: its script gets SIGTERM first, then, still running
# after kill_wait, SIGKILL; nothing it started is left, not even a setsid grandchild. The
# limit has Slurm's one-minute resolution, so this test takes a little over a minute (it
# mostly sleeps, in parallel with the others).
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"

tag=drover-it-timeout-$$-$RANDOM
cat > job.sh <<SCRIPT
#!/bin/bash
trap 'echo got TERM' TERM
setsid bash -c 'exec -a $tag-daemon sleep 600' &
echo started
# Ignores SIGTERM (the trap only reports it): only SIGKILL ends the script.
while true; do sleep 0.2; done
SCRIPT
id=$(sbatch --parsable --time=1 -o job.out job.sh)
wait_until 30 grep -q started job.out
wait_until 30 pgrep -f "^$tag-daemon"
[ "$(squeue -h -j "$id" -o %l)" = "1:00" ] || fail "squeue %l says $(squeue -h -j "$id" -o %l)"
pass "job $id runs with a one-minute limit"

wait_until 120 job_done "$id"
[ "$(job_state "$id")" = TIMEOUT ] || fail "past its limit the job is $(job_state "$id")"
[ "$(sacct -n -X -P -j "$id" -o State)" = TIMEOUT ] || fail "sacct: $(sacct -n -X -P -j "$id" -o State,ExitCode)"
pass "the job ended TIMEOUT (squeue and sacct)"
grep -q "got TERM" job.out || fail "the script never saw SIGTERM: $(cat job.out)"
pass "SIGTERM came first; the script ignored it and was killed after kill_wait"
wait_until 30 sh -c "! pgrep -f '^$tag-'"
pass "no process of the job is left, setsid grandchild included"
elapsed=$(sacct -n -X -P -j "$id" -o ElapsedRaw 2>/dev/null || true)
case "$elapsed" in
  '' | *[!0-9]*) ;;  # ElapsedRaw not offered: nothing more to check
  *) [ "$elapsed" -ge 60 ] || fail "the job ran only ${elapsed}s of its one-minute limit" ;;
esac
pass "it was not ended before its minute was up"
