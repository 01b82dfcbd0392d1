#!/usr/bin/env bash
# The controller killed with SIGKILL while jobs run: a job that finishes while it is down gets
# its real exit status in sacct after the restart, pending jobs are still there, and no job id
# is reused; a job's --signal falls due while the controller is down and is delivered (once)
# by the restarted one.
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"

cat > wait.sh <<'SCRIPT'
#!/bin/sh
echo started
while [ ! -e release ]; do sleep 0.1; done
exit 7
SCRIPT
cat > warned.sh <<'SCRIPT'
#!/bin/bash
trap 'echo got USR1' USR1
echo started
while true; do sleep 0.2; done
SCRIPT
running=$(sbatch --parsable wait.sh)
warned=$(sbatch --parsable -t 2 --signal=B:USR1@100 warned.sh)
held=$(sbatch --parsable --hold --wrap true)
done_before=$(sbatch --parsable --wrap 'echo quick')
wait_until 30 job_done "$done_before"
wait_until 30 grep -q started "slurm-$running.out"
wait_until 30 grep -q started "slurm-$warned.out"

drover local kill ctld
if sbatch --wrap true 2>/dev/null; then fail "sbatch succeeded with the controller down"; fi
pass "sbatch fails clearly while the controller is down"
touch release
# "script[s]" keeps the pattern from matching the pgrep command line itself.
wait_until 30 sh -c "! pgrep -f 'script[s]/job_$running\$' >/dev/null"

drover local start ctld
wait_until 30 sh -c "sacct -n -X -P -j $running -o State | grep -qx FAILED"
[ "$(sacct -n -X -P -j "$running" -o ExitCode)" = "7:0" ] || fail "exit code: $(sacct -n -X -P -j "$running" -o ExitCode)"
pass "the job that ended while the controller was down is FAILED with exit code 7:0"
[ "$(sacct -n -X -P -j "$done_before" -o State)" = COMPLETED ] || fail "earlier job lost"
[ "$(squeue -h -j "$held" -o '%T %r')" = "PENDING JobHeldUser" ] || fail "held job: $(squeue -h -j "$held" -o '%T %r')"
pass "finished and held jobs survived the restart"
new=$(sbatch --parsable --wrap true)
[ "$new" -gt "$done_before" ] || fail "job id $new reused (last was $done_before)"
pass "job ids continue after the restart ($new)"
wait_until 100 grep -q "got USR1" "slurm-$warned.out"
[ "$(grep -c "got USR1" "slurm-$warned.out")" = 1 ] || fail "the --signal came $(grep -c "got USR1" "slurm-$warned.out") times"
pass "the --signal that fell due across the restart was delivered once"
scancel "$warned"
wait_until 30 job_done "$warned"
wait_until 30 sh -c "sinfo -h -o '%t %N' | grep -qx 'idle node\[1-2,4\]'"
pass "nodes re-registered and are idle"
