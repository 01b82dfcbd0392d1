#!/usr/bin/env bash
# On nodes configured as Turing RK1s (cores 0-3 little, 4-7 big), --cpu-kind=big -c 4 lands on
# cores 4-7 and scontrol show job -d says so; "any" fills the big cores first; a request no
# node can meet is refused at submission.
source "$(dirname "$0")/lib.sh"
cluster_up --like rk1
cd "$TMP"

big=$(sbatch --parsable --cpu-kind=big -c 4 -w node1 --wrap 'sleep 30')
wait_until 30 sh -c "[ \"\$(squeue -h -j $big -o %T)\" = RUNNING ]"
scontrol show job -d "$big" | grep -q "Nodes=node1 CPU_IDs=4-7 " || fail "placement: $(scontrol show job -d "$big" | grep CPU_IDs)"
pass "--cpu-kind=big -c 4 runs on cores 4-7 (scontrol show job -d)"

any=$(sbatch --parsable -c 2 -w node2 --wrap 'sleep 30')
wait_until 30 sh -c "[ \"\$(squeue -h -j $any -o %T)\" = RUNNING ]"
scontrol show job -d "$any" | grep -q "Nodes=node2 CPU_IDs=4-5 " || fail "any: $(scontrol show job -d "$any" | grep CPU_IDs)"
pass "a 2-core job without --cpu-kind gets two big cores on an idle RK1"

little=$(sbatch --parsable --cpu-kind=little -c 2 -w node1 --wrap 'sleep 30')
wait_until 30 sh -c "[ \"\$(squeue -h -j $little -o %T)\" = RUNNING ]"
scontrol show job -d "$little" | grep -q "Nodes=node1 CPU_IDs=0-1 " || fail "little: $(scontrol show job -d "$little" | grep CPU_IDs)"
pass "--cpu-kind=little runs on the A55 cores"

waiting=$(sbatch --parsable --cpu-kind=big -c 1 -w node1 --wrap true)
wait_until 30 sh -c "[ \"\$(squeue -h -j $waiting -o %r)\" = Resources ]"
pass "a big-core job waits for Resources while node1's big cores are taken, though little ones are free"

err=$(sbatch --cpu-kind=big -c 5 --wrap true 2>&1 >/dev/null) && fail "5 big cores accepted"
echo "$err" | grep -q "big" || fail "message: $err"
err=$(sbatch --cpu-kind=gpu --wrap true 2>&1 >/dev/null) && fail "unknown kind accepted"
echo "$err" | grep -q "kind" || fail "message: $err"
pass "impossible kind requests are refused at submission"
scancel "$big" "$any" "$little" "$waiting"

sinfo -h -N -o '%N %f' | grep -q '^node1 rk1,arm64$' || fail "sinfo %f: $(sinfo -h -N -o '%N %f')"
pass "sinfo -o %f shows the nodes' features"

# A partition's state set with scontrol: DOWN queues (PartitionDown), DRAIN and INACTIVE refuse
# new jobs, UP starts the queued ones; sinfo shows Slurm's words.
scontrol update PartitionName=batch State=DOWN || fail "State=DOWN refused"
[ "$(sinfo -h -o %a)" = down ] || fail "sinfo %a: $(sinfo -h -o %a)"
queued=$(sbatch --parsable --wrap true)
wait_until 30 sh -c "[ \"\$(squeue -h -j $queued -o %r)\" = PartitionDown ]"
pass "a job waits with PartitionDown in a partition set DOWN"
scontrol update PartitionName=batch State=DRAIN
[ "$(sinfo -h -o %a)" = drain ] || fail "sinfo %a: $(sinfo -h -o %a)"
scontrol show partition batch | grep -q 'State=DRAIN' || fail "show partition: $(scontrol show partition batch)"
err=$(sbatch --wrap true 2>&1 >/dev/null) && fail "a draining partition accepted a job"
echo "$err" | grep -q draining || fail "message: $err"
wait_until 30 job_done "$queued"
pass "DRAIN refuses new jobs and starts the queued one"
scontrol update PartitionName=batch State=inactive
[ "$(sinfo -h -o %a)" = inact ] || fail "sinfo %a: $(sinfo -h -o %a)"
err=$(scontrol update PartitionName=batch State=SLEEP 2>&1) && fail "State=SLEEP accepted"
echo "$err" | grep -q 'State=UP' || fail "message: $err"
err=$(scontrol update PartitionName=nosuch State=UP 2>&1) && fail "an unknown partition accepted"
scontrol update PartitionName=batch State=UP
[ "$(sinfo -h -o %a)" = up ] || fail "sinfo %a: $(sinfo -h -o %a)"
pass "INACTIVE, bad states and unknown partitions; back UP"
