#!/usr/bin/env bash
# The controller killed with SIGKILL while several clients submit: after a restart every job
# whose id a client received exists, exactly once.
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"

clients=4
per_client=40
for c in $(seq 1 $clients); do
  (
    for i in $(seq 1 $per_client); do
      sbatch --parsable --hold -J "storm-$c-$i" --wrap true 2>/dev/null >> "ids.$c" || true
    done
  ) &
done
wait_until 60 sh -c "[ \$(cat ids.* 2>/dev/null | wc -l) -ge 20 ]"
drover local kill ctld
sleep 0.3
drover local start ctld
wait
acked=$(cat ids.* | sort -n)
count=$(echo "$acked" | wc -l)
[ "$count" -gt 0 ] || fail "no submission was acknowledged"
[ "$(echo "$acked" | uniq -d)" = "" ] || fail "an id was handed out twice"
ids=$(echo "$acked" | paste -sd, -)
found=$(sacct -n -X -P -j "$ids" -o JobIDRaw | sort -n)
[ "$found" = "$acked" ] || fail "acknowledged jobs missing after the restart: $(comm -23 <(echo "$acked") <(echo "$found") | head)"
pass "all $count acknowledged jobs exist exactly once after the controller was killed"
total=$(sacct -n -X -P -a -S 0 -o JobIDRaw | wc -l)
[ "$total" -ge "$count" ] || fail "sacct lists $total jobs"
