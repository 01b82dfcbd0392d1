#!/usr/bin/env bash
# Key rotation without downtime (issue 3, docs/security.md): a next key is added and accepted,
# then signs, then the old key is dropped — each step a config edit and a SIGHUP, with jobs
# submitted and run throughout and no daemon restarted. A broken edit changes nothing.
source "$(dirname "$0")/lib.sh"
cluster_up
keys=$CLUSTER/keys
daemons=(ctld node1 node2 node4)
pids=()
for d in "${daemons[@]}"; do pids+=("$(cat "$CLUSTER/run/$d.pid")"); done

# hup_all N: SIGHUP every daemon and wait until each has logged its N-th reload.
hup_all() {
  for p in "${pids[@]}"; do kill -HUP "$p"; done
  for d in "${daemons[@]}"; do wait_until 10 sh -c "[ \"\$(grep -c 'cluster keys now' $CLUSTER/log/$d.log)\" -ge $1 ]"; done
}
run_job() {
  local id
  id=$(sbatch --parsable --wrap "echo rotated") || fail "sbatch refused after $1"
  wait_until 30 job_done "$id"
  [ "$(job_state "$id")" = COMPLETED ] || fail "job after $1 ended $(job_state "$id")"
}
key_id() { grep -o "cluster keys now .*" "$CLUSTER/log/ctld.log" | tail -n 1; }

long=$(sbatch --parsable --wrap "sleep 8")
(umask 0277 && head -c 32 /dev/urandom > "$keys/new.key")

echo "next_key_file: $keys/new.key" >> "$DROVER_CONF"
hup_all 1
[[ "$(key_id)" == *", "* ]] || fail "ctld does not hold two keys: $(key_id)"
run_job "adding next_key_file"
pass "step 1: every daemon accepts the new key and still signs with the old one"

sed -i "s|^key_file: .*|key_file: $keys/new.key|; s|^next_key_file: .*|next_key_file: $keys/cluster.key|" "$DROVER_CONF"
hup_all 2
run_job "switching key_file"
pass "step 2: daemons sign with the new key"

sed -i '/^next_key_file:/d' "$DROVER_CONF"
hup_all 3
[[ "$(key_id)" != *", "* ]] || fail "ctld still holds two keys: $(key_id)"
run_job "dropping the old key"
pass "step 3: the old key is gone"

echo "next_key_file: $keys/missing.key" >> "$DROVER_CONF"
kill -HUP "${pids[0]}"
wait_until 10 grep -q "reload refused" "$CLUSTER/log/ctld.log"
sed -i '/^next_key_file:/d' "$DROVER_CONF"
run_job "a refused reload"
pass "a reload that cannot read a key is refused, logged, and changes nothing"

for i in "${!pids[@]}"; do kill -0 "${pids[$i]}" || fail "${daemons[$i]} died"; done
wait_until 30 job_done "$long"
[ "$(job_state "$long")" = COMPLETED ] || fail "the job running across the rotation ended $(job_state "$long")"
pass "no daemon restarted; a job running throughout completed"
