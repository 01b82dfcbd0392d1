#!/usr/bin/env bash
# Job dependencies through sbatch -d/--dependency (issue #4).
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"

a=$(sbatch --parsable --wrap 'sleep 1; echo a >> order')
b=$(sbatch --parsable -d afterok:"$a" --wrap 'echo b >> order')
c=$(sbatch --parsable --dependency=afterok:"$b" --wrap 'echo c >> order')
[ "$(squeue -h -j "$c" -o '%t %r')" = "PD Dependency" ] || fail "c: $(squeue -h -j "$c" -o '%t %r')"
wait_until 60 job_done "$c"
[ "$(paste -sd' ' order)" = "a b c" ] || fail "order: $(cat order)"
[ "$(job_state "$c")" = COMPLETED ] || fail "c ended $(job_state "$c")"
pass "afterok chain runs in order"

ok=$(sbatch --parsable --wrap true)
never=$(sbatch --parsable -d afternotok:"$ok" --wrap 'touch never-ran')
wait_until 30 job_done "$ok"
wait_until 30 sh -c "[ \"\$(squeue -h -j $never -o '%t %r')\" = 'PD DependencyNeverSatisfied' ]"
sleep 2
[ ! -e never-ran ] || fail "afternotok job ran after a success"
[ "$(job_state "$never")" = PENDING ] || fail "never: $(job_state "$never")"
scancel "$never"
pass "afternotok after a success never runs (DependencyNeverSatisfied)"

bad=$(sbatch --parsable --wrap 'exit 3')
any=$(sbatch --parsable -d "afterok:$bad?afterany:$bad" --wrap true)
wait_until 30 job_done "$any"
[ "$(job_state "$any")" = COMPLETED ] || fail "afterok?afterany on a failed job: $(job_state "$any")"
pass "'?' list: one item is enough"

if sbatch -d afterok:999999 --wrap true 2>err.txt; then fail "dependency on an unknown job accepted"; fi
grep -q 999999 err.txt || fail "message: $(cat err.txt)"
if sbatch -d before:1 --wrap true 2>err.txt; then fail "unknown dependency type accepted"; fi
pass "unknown job ids and types are refused"

# singleton: two jobs of one name and user never overlap.
for _ in 1 2; do
  sbatch --parsable -J single -d singleton --wrap 'echo start >> single.log; sleep 2; echo end >> single.log' >> ids
done
for j in $(cat ids); do wait_until 60 job_done "$j"; done
[ "$(paste -sd' ' single.log)" = "start end start end" ] || fail "singleton overlap: $(cat single.log)"
pass "singleton runs one job per name and user at a time"
