#!/usr/bin/env bash
# Scenario 2: drover-ctld SIGKILLed during a storm of submissions from clients on every host.
# After the restart every job whose id a client received exists exactly once, no id was handed
# out twice, and the jobs that were running when it died (and finished while it was down) are
# recorded COMPLETED.
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$SHARED"

running=()
for n in "${WORKERS[@]}"; do
  running+=("$(on node3 sbatch --parsable -w "$n" --wrap 'while [ ! -e release ]; do sleep 0.1; done')")
done
for id in "${running[@]}"; do wait_until 60 job_running "$id"; done

# Five clients: one on each worker, two on the controller's host. Each submission has a unique
# name, so a job stored twice would show in accounting.
per_client=20
clients=(node1 node2 node4 node3 node3)
for c in "${!clients[@]}"; do
  on "${clients[$c]}" bash -c '
    for i in $(seq 1 '"$per_client"'); do
      sbatch --parsable -J "storm-'"$c"'-$i" -o /dev/null --wrap true 2>>errors.'"$c"' >> ids.'"$c"' || true
    done' &
done
wait_until 120 sh -c "[ \$(cat ids.* 2>/dev/null | wc -l) -ge 20 ]"
kill_daemon node3
pass "ctld killed after $(cat ids.* | wc -l) acknowledged submissions"
touch release
sleep 0.5  # let clients see the controller gone
start node3
wait  # the clients
acked=$(cat ids.* | sort -n)
count=$(echo "$acked" | wc -l)
refused=$(cat errors.* | grep -c . || true)
[ "$count" -gt 0 ] || fail "no submission was acknowledged"
[ -z "$(echo "$acked" | uniq -d)" ] || fail "an id was handed out twice: $(echo "$acked" | uniq -d | head -3)"
pass "$count submissions acknowledged, $refused refused while ctld was down; no id handed out twice"

found=$(on node3 sacct -n -X -P -a -S 0 -o JobIDRaw,JobName | grep '|storm-' | sort -n)
missing=$(comm -23 <(echo "$acked") <(echo "$found" | cut -d'|' -f1))
[ -z "$missing" ] || fail "acknowledged jobs missing after the restart: $(echo "$missing" | head -5 | paste -sd' ')"
dups=$(echo "$found" | cut -d'|' -f2 | sort | uniq -d)
[ -z "$dups" ] || fail "submissions stored twice: $(echo "$dups" | head -5 | paste -sd' ')"
pass "every acknowledged job exists after the restart, each submission at most once"

for id in "${running[@]}"; do wait_until 120 job_done "$id"; done
for id in "${running[@]}"; do
  [ "$(acct_state "$id")" = COMPLETED ] || fail "job $id, running when ctld died, ended $(acct_state "$id")"
done
pass "the jobs running when ctld died finished and are recorded COMPLETED"
wait_until 300 queue_empty
bad=$(on node3 sacct -n -X -P -a -S 0 -o JobIDRaw,JobName,State,Reason | grep '|storm-' | grep -v '|COMPLETED|' || true)
[ -z "$bad" ] || fail "storm jobs that did not complete: $(echo "$bad" | head -5 | paste -sd' ')"
pass "every stored storm job ran and completed"
