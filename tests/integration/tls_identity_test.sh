#!/usr/bin/env bash
# TLS identities end to end (issue 3): a client certificate from another CA and a plaintext
# client are refused by both daemons with a logged reason; a node's certificate cannot register
# as another node; a launch without the controller's job credential starts nothing.
source "$(dirname "$0")/lib.sh"
cluster_up
tls=$CLUSTER/keys/tls
ctld_port=$(grep -o 'port: [0-9]*' "$DROVER_CONF" | head -n 1 | cut -d' ' -f2)
node1_port=$(grep 'names: node1' "$DROVER_CONF" | grep -o 'port: [0-9]*' | cut -d' ' -f2)

drover keygen --dir "$TMP/other" --hosts node1,node3 >/dev/null
# refused PORT LOG: a client with node1's certificate from the other CA is cut off, and the
# daemon writing LOG says why.
refused() {
  local before
  before=$(grep -c "TLS handshake failed" "$2" || true)
  echo hello | timeout 10 openssl s_client -connect "127.0.0.1:$1" -tls1_3 -quiet \
    -CAfile "$tls/ca.crt" -cert "$TMP/other/tls/node1.crt" -key "$TMP/other/tls/node1.key" \
    >/dev/null 2>&1 || true
  wait_until 10 sh -c "[ \"\$(grep -c 'TLS handshake failed' $2)\" -gt $before ]"
}
refused "$ctld_port" "$CLUSTER/log/ctld.log"
refused "$node1_port" "$CLUSTER/log/node1.log"
pass "a certificate from another CA is refused by ctld and noded, with the reason logged"

for port in "$ctld_port" "$node1_port"; do
  out=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 bash -c "cat > /dev/tcp/127.0.0.1/$port; sleep 1" 2>&1 || true)
done
pgrep -F "$CLUSTER/run/ctld.pid" >/dev/null || fail "ctld died after a plaintext client"
pgrep -F "$CLUSTER/run/node1.pid" >/dev/null || fail "node1 died after a plaintext client"
pass "plaintext clients are dropped and both daemons carry on"

# node1's daemon, restarted with node2's certificate and key, tries to register as node1.
drover local kill --dir "$CLUSTER" node1 >/dev/null
sed "s|cert: [^,]*|cert: $tls/node2.crt|; s|key: $tls/%n.key|key: $tls/node2.key|" "$DROVER_CONF" > "$TMP/evil.yaml"
grep -q "node2.crt" "$TMP/evil.yaml" || fail "could not write the impostor's config"
drover-noded --config "$TMP/evil.yaml" --name node1 > "$TMP/evil.log" 2>&1 &
evil=$!
trap 'kill $evil 2>/dev/null || true; cleanup' EXIT INT TERM
claims() { grep -c "presented certificate node2 but claims to be node node1" "$CLUSTER/log/ctld.log" || true; }
wait_until 20 sh -c "[ \"\$(sinfo -h -N -n node1 -o %t)\" = 'down*' ]"
# Once node1 timed out, the impostor keeps trying (with backoff) and node1 stays down.
seen=$(claims)
wait_until 30 sh -c "[ \$(grep -c 'presented certificate node2 but claims to be node node1' $CLUSTER/log/ctld.log) -gt $seen ]"
state=$(sinfo -h -N -n node1 -o %t)
[ "$state" = "down*" ] || fail "node1 is '$state' while an impostor holds its name"
kill "$evil"
wait "$evil" 2>/dev/null || true
pass "node2's certificate cannot register as node1"

drover local start --dir "$CLUSTER" node1 >/dev/null
wait_until 30 sh -c "[ \"\$(sinfo -h -N -n node1 -o %t)\" = idle ]"
id=$(sbatch --parsable -w node1 --wrap true)
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "job on node1 ended $(job_state "$id")"
grep -q "job credential" "$CLUSTER/log/node1.log" && fail "node1 refused a real job credential: $(grep 'job credential' "$CLUSTER/log/node1.log")"
pass "node1 back with its own certificate runs jobs whose credential verifies"
