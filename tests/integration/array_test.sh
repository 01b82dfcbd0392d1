#!/usr/bin/env bash
# Job arrays through the Slurm front ends (CONTRACT.md SB-10, SQ-5, SA-3, SC-1).
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"
mkdir -p running seen

# Each element marks itself running, records how many run at that moment, and leaves.
cat > element.sh <<'SCRIPT'
#!/bin/sh
touch running/$SLURM_ARRAY_TASK_ID
ls running | wc -l > seen/$SLURM_ARRAY_TASK_ID
echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID count $SLURM_ARRAY_TASK_COUNT job $SLURM_JOB_ID"
sleep 2
rm -f running/$SLURM_ARRAY_TASK_ID
SCRIPT
id=$(sbatch --parsable --array=0-5%2 element.sh)
[[ "$id" =~ ^[0-9]+$ ]] || fail "sbatch --array printed '$id'"

# While it runs: started elements as <id>_<idx>, the rest as <id>_[ranges%2].
has_remainder() { squeue -h -j "$id" -o %i | grep -Eq "^${id}_\[[0-9,-]+%2\]$"; }
has_element() { squeue -h -j "$id" -o %i | grep -Eq "^${id}_[0-9]+$"; }
wait_until 30 has_element
has_remainder || fail "no pending remainder form: $(squeue -h -j "$id" -o %i | paste -sd' ')"
pass "squeue shows ${id}_<idx> and the pending remainder ${id}_[a-b%2]"

active() { squeue -h -j "$1" -t PD,R -o %i; }
all_done() { [ "$(ls seen | wc -l)" -eq 6 ] && [ -z "$(active "$id")" ]; }
wait_until 90 all_done
max=$(cat seen/* | sort -n | tail -1)
[ "$max" -le 2 ] || fail "$max elements ran at once with %2"
pass "%2 throttle: at most $max elements ran at once"

for t in 0 1 2 3 4 5; do
  f=slurm-${id}_$t.out
  [ -f "$f" ] || fail "missing $f (default output slurm-%A_%a.out): $(ls)"
  grep -q "^task $t of $id count 6 " "$f" || fail "$f: $(cat "$f")"
done
[ "$(cat slurm-"${id}"_*.out | awk '{print $NF}' | sort -u | wc -l)" -eq 6 ] || fail "element job ids not distinct"
pass "6 elements completed with distinct SLURM_ARRAY_TASK_ID and job ids"

rows=$(sacct -j "$id" -X -P -n -o JobID,JobIDRaw,State)
[ "$(echo "$rows" | wc -l)" -eq 6 ] || fail "sacct -j $id: $rows"
[ "$(echo "$rows" | cut -d'|' -f1 | sort | paste -sd' ')" = "${id}_0 ${id}_1 ${id}_2 ${id}_3 ${id}_4 ${id}_5" ] || fail "sacct JobIDs: $rows"
[ "$(echo "$rows" | cut -d'|' -f2 | sort -u | wc -l)" -eq 6 ] || fail "sacct JobIDRaw not distinct: $rows"
echo "$rows" | cut -d'|' -f3 | grep -qv COMPLETED && fail "sacct states: $rows"
pass "sacct -j <array> lists every element with its own JobIDRaw"

# Cancel one pending element, one running element, then the whole array.
id2=$(sbatch --parsable --array=0-3%1 --wrap 'sleep 300')
wait_until 30 sh -c "squeue -h -j $id2 -o '%i %T' | grep -q '^${id2}_0 RUNNING$'"
scancel "${id2}_2"
wait_until 10 sh -c "squeue -h -j $id2 -o %i | grep -qx '${id2}_\[1,3%1\]'"
scancel "${id2}_0"
wait_until 30 sh -c "squeue -h -j $id2 -o '%i %T' | grep -q '^${id2}_1 RUNNING$'"
pass "scancel ${id2}_2 (pending) and ${id2}_0 (running)"
# A not-started element shows as its array's pending record, as in Slurm; nothing else shows.
shown=$(scontrol -o show job "${id2}_3")
[ "$(echo "$shown" | wc -l)" -eq 1 ] || fail "scontrol show job ${id2}_3: $shown"
[[ "$shown" == "JobId=$id2 ArrayJobId=$id2 ArrayTaskId=3%1 "* ]] || fail "scontrol show job ${id2}_3: $shown"
pass "scontrol show job ${id2}_3 (not started) shows the pending record"
scancel "$id2"
wait_until 30 sh -c "[ -z \"\$(squeue -h -j $id2 -t PD,R -o %i)\" ]"
states=$(sacct -j "$id2" -X -P -n -o JobID,State | sort | paste -sd' ')
[ "$states" = "${id2}_0|CANCELLED ${id2}_1|CANCELLED ${id2}_2|CANCELLED ${id2}_[3%1]|CANCELLED" ] || fail "after scancel: $states"
steps=$(sacct -j "$id2" -P -n -o JobID | paste -sd' ')
[[ "$steps" == *"${id2}_1.batch"* && "$steps" != *"[3%1].batch"* ]] || fail "a never-started element has a batch step: $steps"
pass "scancel <array> cancels the running element and the pending rest"

id3=$(sbatch --parsable --array=1-4 --hold --wrap true)
scancel "${id3}_[1-3]"
[ "$(active "$id3")" = "${id3}_[4]" ] || fail "after scancel ${id3}_[1-3]: $(active "$id3")"
scancel "$id3"
pass "scancel <id>_[1-3]"

# Holding a not-started element splits it off the pending record, as in Slurm.
id4=$(sbatch --parsable --array=1-3 --begin=now+1hour --wrap true)
if scontrol release "${id4}_2" 2>err.txt; then fail "release of a not-held element succeeded"; fi
[ "$(active "$id4")" = "${id4}_[1-3]" ] || fail "a refused release split the array: $(active "$id4")"
scontrol hold "${id4}_2" || fail "scontrol hold ${id4}_2"
[ "$(squeue -h -j "$id4" -o '%i %r' | sort | paste -sd,)" = "${id4}_2 JobHeldUser,${id4}_[1,3] BeginTime" ] ||
  fail "after hold ${id4}_2: $(squeue -h -j "$id4" -o '%i %r' | paste -sd,)"
# squeue -j and -n read a packed table answer; a format with %Z asks for JobInfo rows: the
# same rows print the same bytes either way.
for sel in "-j $id4" "-j ${id4}_2" "-j ${id4}_3,$id3" "-n wrap" "-n wrap -j $id4"; do
  fmt="%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R"
  # shellcheck disable=SC2086
  table=$(squeue $sel)
  # shellcheck disable=SC2086
  rows=$(squeue $sel -o "$fmt %Z" | sed 's/ [^ ]*$//')
  [ -n "$table" ] && [ "$table" = "$rows" ] || fail "squeue $sel: table and JobInfo rows differ:\n$table\n--\n$rows"
  # shellcheck disable=SC2086
  [ "$(squeue -h $sel -o '%i|%j|%T|%r|%l|%S|%V')" = "$(squeue -h $sel -o '%i|%j|%T|%r|%l|%S|%V|%Z' | sed 's/|[^|]*$//')" ] ||
    fail "squeue $sel -o: table and JobInfo rows differ"
done
pass "squeue -j/-n from a table answer print as from JobInfo rows"
scontrol release "${id4}_2" || fail "scontrol release ${id4}_2"
# The reason is the next pass's.
released() { [ "$(squeue -h -j "$id4" -o '%i %r' | sort | paste -sd,)" = "${id4}_2 BeginTime,${id4}_[1,3] BeginTime" ]; }
wait_until 10 released || fail "after release ${id4}_2: $(squeue -h -j "$id4" -o '%i %r' | paste -sd,)"
scancel "$id4"
pass "scontrol hold/release ${id4}_2 of a not-started element"

# scontrol update of a not-started element splits it off too, only when the update holds.
id5=$(sbatch --parsable --array=1-3 --begin=now+1hour -t 30 --wrap true)
if scontrol update JobId="${id5}_2" Partition=nosuch 2>err.txt; then fail "update to a missing partition succeeded"; fi
grep -q "invalid partition" err.txt || fail "update ${id5}_2 Partition=nosuch said: $(cat err.txt)"
[ "$(active "$id5")" = "${id5}_[1-3]" ] || fail "a refused update split the array: $(active "$id5")"
scontrol update JobId="${id5}_2" TimeLimit=10 || fail "scontrol update JobId=${id5}_2 TimeLimit=10"
limits=$(squeue -h -j "$id5" -o '%i %l' | LC_ALL=C sort | paste -sd,)
[ "$limits" = "${id5}_2 10:00,${id5}_[1,3] 30:00" ] || fail "after update ${id5}_2: $limits"
scontrol update JobId="${id5}_[2-3]" TimeLimit-=5 || fail "scontrol update JobId=${id5}_[2-3] TimeLimit-=5"
limits=$(squeue -h -j "$id5" -o '%i %l' | LC_ALL=C sort | paste -sd,)
[ "$limits" = "${id5}_2 5:00,${id5}_3 25:00,${id5}_[1] 30:00" ] || fail "after update ${id5}_[2-3] TimeLimit-=5: $limits"
scancel "$id5"
pass "scontrol update JobId=${id5}_2 / ${id5}_[2-3] of not-started elements"

if sbatch --array=5-1 --wrap true 2>err.txt; then fail "--array=5-1 accepted"; fi
grep -q -- "--array" err.txt || fail "error message: $(cat err.txt)"
pass "an invalid --array is refused"
