#!/usr/bin/env bash
# The load run: TOTAL submissions (second argument; 1,000 by default) from 8 concurrent
# clients, two on each host, while the jobs run on the three workers. Afterwards every
# acknowledged job is in sacct, exactly once, COMPLETED. Prints the throughput figures.
source "$(dirname "$0")/lib.sh"
total=${2:-1000}
clients=8
per_client=$((total / clients))
[ $((per_client * clients)) -eq "$total" ] || fail "the total must be a multiple of $clients"
cluster_up
cd "$SHARED"

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? n / s : n) }'; }
t0=$(date +%s.%N)
for c in $(seq 0 $((clients - 1))); do
  host=${HOSTS[$((c % 4))]}
  on "$host" bash -c '
    for i in $(seq 1 '"$per_client"'); do
      sbatch --parsable -J "load-'"$c"'-$i" -o /dev/null --wrap true >> ids.'"$c"' 2>> errors.'"$c"' ||
        echo "load-'"$c"'-$i" >> failed.'"$c"'
    done' &
done
wait
t1=$(date +%s.%N)
failed=$(cat failed.* 2>/dev/null | wc -l || true)
[ "$failed" -eq 0 ] || fail "$failed submissions failed: $(sort errors.* | uniq -c | sort -rn | head -3)"
acked=$(cat ids.* | sort -n)
[ "$(echo "$acked" | wc -l)" -eq "$total" ] || fail "$(echo "$acked" | wc -l) ids for $total submissions"
[ -z "$(echo "$acked" | uniq -d)" ] || fail "an id was handed out twice"
submit_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
pass "$total submissions from $clients clients acknowledged in ${submit_s} s ($(rate "$total" "$submit_s") submissions/s)"

wait_until $((120 + total / 2)) queue_empty
t2=$(date +%s.%N)
all_s=$(awk -v a="$t0" -v b="$t2" 'BEGIN { print b - a }')
pass "every job finished ${all_s} s after the first submission ($(rate "$total" "$all_s") jobs/s end to end)"

rows=$(on node3 sacct -n -X -P -a -S 0 -o JobIDRaw,JobName,State | grep '|load-')
[ "$(echo "$rows" | cut -d'|' -f1 | sort -n)" = "$acked" ] || fail "sacct's ids differ from the acknowledged ones"
[ -z "$(echo "$rows" | cut -d'|' -f2 | sort | uniq -d)" ] || fail "a submission was stored twice"
states=$(echo "$rows" | cut -d'|' -f3 | sort | uniq -c | paste -sd' ')
[ "$(echo "$rows" | grep -vc '|COMPLETED$')" -eq 0 ] || fail "not every job completed: $states"
pass "sacct has all $total jobs exactly once: $states"
echo "FIGURES total=$total clients=$clients submit_s=$submit_s submit_rate=$(rate "$total" "$submit_s") end_to_end_s=$all_s job_rate=$(rate "$total" "$all_s")"
