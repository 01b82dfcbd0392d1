#!/usr/bin/env bash
# Prolog and epilog from the configuration: run as root on the job's node with the job's
# variables; a failing prolog drains the node with the reason and requeues the job, which runs
# once the node's daemon is restarted after the fix.
source "$(dirname "$0")/lib.sh"
if ! is_root; then echo "skipped: prolog and epilog run as root"; exit 0; fi
cluster_up
cd "$TMP"
cat > prolog.sh <<SCRIPT
#!/bin/sh
[ -e $TMP/fail ] && { echo "prolog says no" >&2; exit 3; }
echo "prolog \$SLURM_JOB_ID \$SLURM_JOB_USER \$SLURM_JOB_UID \$SLURM_SCRIPT_CONTEXT \$(id -u)" >> $TMP/scripts.log
SCRIPT
cat > epilog.sh <<SCRIPT
#!/bin/sh
echo "epilog \$SLURM_JOB_ID \$SLURM_SCRIPT_CONTEXT" >> $TMP/scripts.log
SCRIPT
chmod 755 prolog.sh epilog.sh
drover local down --dir "$CLUSTER" >/dev/null
printf 'prolog: %s\nepilog: %s\nprolog_timeout: 10\n' "$TMP/prolog.sh" "$TMP/epilog.sh" >> "$DROVER_CONF"
for d in ctld node1 node2 node4; do drover local start "$d" >/dev/null; done
node_state() { sinfo -h -N -o '%N %T' | awk -v n="$1" '$1 == n { print $2; exit }'; }
wait_until 30 sh -c "[ \$(sinfo -h -N -o %T | grep -c idle) -eq 3 ]"

id=$(sbatch --parsable --wrap 'echo job ran')
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "job ended $(job_state "$id")"
grep -q "^prolog $id root 0 prolog_slurmd 0\$" scripts.log || fail "prolog did not run with the job's variables: $(cat scripts.log)"
grep -q "^epilog $id epilog_slurmd\$" scripts.log || fail "epilog did not run: $(cat scripts.log)"
head -1 scripts.log | grep -q "^prolog $id " || fail "order: $(cat scripts.log)"
pass "prolog and epilog ran as root around the job, with its SLURM_* variables"

touch fail
id=$(sbatch --parsable -w node1 --wrap 'echo second job ran')
wait_until 30 sh -c "scontrol show node node1 | grep -q 'Reason=Prolog failed on node1: prolog .* exited with status 3'"
case "$(node_state node1)" in drain*) ;; *) fail "node1 is $(node_state node1), not drained" ;; esac
pass "a failing prolog drained node1 with the reason"
[ "$(job_state "$id")" = PENDING ] || fail "job $id is $(job_state "$id"), not requeued"
[ ! -e "slurm-$id.out" ] || fail "the job ran although its prolog failed"
pass "the job went back to PENDING without running"
rm fail
drover local kill node1
drover local start node1 >/dev/null
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "job ended $(job_state "$id")"
grep -q "second job ran" "slurm-$id.out" || fail "output: $(cat "slurm-$id.out" 2>&1)"
case "$(node_state node1)" in drain*) fail "node1 still drained after its noded restarted" ;; esac
pass "restarting noded after the fix resumed node1 and the requeued job ran"
