#!/usr/bin/env bash
# A node daemon killed with SIGKILL during a running job: the job keeps running under
# drover-stepd, and the restarted daemon reports it COMPLETED with its output intact. The
# daemon's supervisor zygote (the fork server the job's stepd came from, the drover-zygote
# executable) goes with it; a zygote lost while noded runs leaves noded forking supervisors itself.
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"

cat > job.sh <<'SCRIPT'
#!/bin/sh
echo before
while [ ! -e release ]; do sleep 0.1; done
echo after
SCRIPT
id=$(sbatch --parsable job.sh)
wait_until 30 grep -q before "slurm-$id.out"
noded=$(cat "$CLUSTER/run/node1.pid")
zygote=
for c in $(cat /proc/"$noded"/task/*/children 2>/dev/null); do
  if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = drover-zygote ]; then zygote=$c; fi
done
[ -n "$zygote" ] || fail "node1's daemon ($noded) has no supervisor zygote"
[ "$(basename "$(readlink "/proc/$zygote/exe")")" = drover-zygote ] ||
  fail "node1's zygote runs $(readlink "/proc/$zygote/exe"), not the drover-zygote executable"
drover local kill node1
zygote_gone() { ! grep -qs '(drover-zygote)' "/proc/$zygote/stat"; }
wait_until 30 zygote_gone
pass "node1's supervisor zygote ended with its daemon"
touch release
wait_until 30 grep -q after "slurm-$id.out"
pass "the job kept running while node1's daemon was dead"
drover local start node1
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "job ended $(job_state "$id")"
[ "$(cat "slurm-$id.out")" = "$(printf 'before\nafter')" ] || fail "output: $(cat "slurm-$id.out")"
pass "the restarted node daemon reported the job COMPLETED"

# The restarted daemon's zygote killed: the next job still runs (noded forks its supervisor).
noded=$(cat "$CLUSTER/run/node1.pid")
zygote=
for c in $(cat /proc/"$noded"/task/*/children 2>/dev/null); do
  if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = drover-zygote ]; then zygote=$c; fi
done
[ -n "$zygote" ] || fail "the restarted node1 daemon ($noded) has no supervisor zygote"
kill -KILL "$zygote"
wait_until 30 zygote_gone
id=$(sbatch --parsable -w node1 --wrap 'echo without-zygote')
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "job after the zygote was lost ended $(job_state "$id")"
[ "$(cat "slurm-$id.out")" = without-zygote ] || fail "output: $(cat "slurm-$id.out")"
pass "with its zygote lost, node1's daemon still ran a job"
