#!/usr/bin/env bash
# Nodes pretending to be Turing RK1s (drover local up --like rk1: every noded reports the rk1
# fixture's topology through hwloc): drover info shows 4 big + 4 little per node, a big job gets
# big cores; a node whose entry claims more than its hardware is INVALID under the strict
# policy, with the difference as reason, and gets no jobs.
source "$(dirname "$0")/lib.sh"
cluster_up --like rk1
cd "$TMP"

scontrol show node node1 | grep -q "CoreKinds=big:4/4,little:4/4" || fail "kinds: $(scontrol show node node1)"
scontrol show node node1 | grep -q "Hardware=4 big + 4 little cores, 15671M, 3 packages" ||
  fail "hardware report: $(scontrol show node node1)"
drover info | grep -q "big:12/12 little:12/12" || fail "drover info: $(drover info)"
pass "drover info and scontrol show the RK1's 4 big + 4 little cores reported by every node"

big=$(sbatch --parsable --cpu-kind=big -c 2 -w node2 --wrap 'sleep 30')
wait_until 30 sh -c "[ \"\$(squeue -h -j $big -o %T)\" = RUNNING ]"
ids=$(scontrol show job -d "$big" | sed -n 's/.*CPU_IDs=\([^ ]*\).*/\1/p')
case "$ids" in 4-5|6-7|4,6|4,7|5,6|5,7) ;; *) fail "big job on cores '$ids'" ;; esac
pass "--cpu-kind=big gets cores from the big set ($ids)"
scancel "$big"
wait_until 30 job_done "$big"

# node4's entry now claims two more little cores than the RK1 has.
drover local kill node4 >/dev/null
drover local kill ctld >/dev/null
sed -i '/names: node4/s/little: {cpus: "0-3"/little: {cpus: "0-3,8-9"/' "$DROVER_CONF"
grep -q '"0-3,8-9"' "$DROVER_CONF" || fail "config edit: $(grep node4 "$DROVER_CONF")"
drover local start ctld >/dev/null
drover local start node4 >/dev/null
reason="config says 4 big + 6 little cores, hardware has 4 big + 4 little"
wait_until 30 sh -c "sinfo -R -h -o '%E|%N' | grep -qx '$reason|node4'"
drover info | grep -q "node4 .*invalid .*$reason" || fail "drover info: $(drover info)"
scontrol show node node4 | grep -q "State=INVALID+DRAIN" || fail "scontrol: $(scontrol show node node4)"
pass "strict: node4 claiming 6 little cores is INVALID with reason '$reason'"

wait_until 30 sh -c "sinfo -N -h -o '%N %t' | grep -qx 'node1 idle'"
job=$(sbatch --parsable -w node4 --wrap true)
wait_until 30 sh -c "[ \"\$(squeue -h -j $job -o %r)\" != None ]"
[ "$(squeue -h -j "$job" -o %T)" = PENDING ] || fail "a job started on the invalid node: $(squeue -j "$job")"
pass "the invalid node gets no jobs ($(squeue -h -j "$job" -o %r))"
scancel "$job"

# An operator's RESUME does not waive the hardware shortfall; a restarted noded with the same
# hardware is still INVALID.
if scontrol update NodeName=node4 State=RESUME 2>resume.err; then fail "RESUME of an INVALID node succeeded"; fi
grep -q "node4 stays INVALID: $reason" resume.err || fail "RESUME said: $(cat resume.err)"
scontrol show node node4 | grep -q "State=INVALID+DRAIN" || fail "after RESUME: $(scontrol show node node4)"
drover local kill node4 >/dev/null
drover local start node4 >/dev/null
wait_until 30 sh -c "sinfo -N -h -o '%N %t' | grep -qx 'node4 inval'"
pass "scontrol RESUME and a noded restart leave node4 INVALID"
