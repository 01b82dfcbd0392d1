#!/usr/bin/env bash
# scontrol reconfigure: an operator makes drover-ctld re-read drover.yaml (as SIGHUP does) and
# every node daemon too, without restarting any; a non-operator is refused; a broken edit is
# refused with the reason and changes nothing. Needs root to create the test user; it is
# removed on exit, pass or fail.
source "$(dirname "$0")/lib.sh"
is_root || { echo "SKIP: needs root to create a test user"; exit 77; }

u=drvtr$$
remove_user() {
  local rc=$?
  userdel "$u" >/dev/null 2>&1 || true
  (exit $rc)
  cleanup
}
trap remove_user EXIT INT TERM
useradd -M -N -g users -s /bin/sh "$u"
as() { local who=$1; shift; setpriv --reuid="$who" --regid=users --init-groups -- "$@"; }

cluster_up
ctld_pid=$(cat "$CLUSTER/run/ctld.pid")
nodes=$(sinfo -h -N -o %N | sort -u | wc -l)

if out=$(as "$u" scontrol reconfigure 2>&1); then fail "a non-operator reconfigured: $out"; fi
grep -qi "permission denied" <<<"$out" || fail "non-operator reconfigure said: $out"
if as "$u" scontrol update NodeName=node2 State=DRAIN Reason=test >/dev/null 2>&1; then
  fail "$u drained a node before being an operator"
fi
pass "a non-operator may not reconfigure"

cp "$DROVER_CONF" "$TMP/good.yaml"
echo "operators: [$u]" >> "$DROVER_CONF"
scontrol reconfigure || fail "root's reconfigure failed"
as "$u" scontrol update NodeName=node2 State=DRAIN Reason="after reconfigure" || fail "the new operator could not drain"
[ "$(sinfo -h -n node2 -N -o %t)" = drain ] || fail "sinfo shows node2 as $(sinfo -h -n node2 -N -o %t)"
scontrol update NodeName=node2 State=RESUME
[ "$(cat "$CLUSTER/run/ctld.pid")" = "$ctld_pid" ] && kill -0 "$ctld_pid" || fail "drover-ctld was restarted"
asked() { [ "$(cat "$CLUSTER"/log/*.log | grep -c "the controller asks for a configuration reload")" -ge "$nodes" ]; }
wait_until 10 asked
pass "scontrol reconfigure: ctld takes a new operator without a restart and all $nodes nodes reload"

# A broken edit: refused with the reason, the running configuration stays. The command reads
# the good copy (it needs a readable configuration itself to reach the controller).
cp "$DROVER_CONF" "$TMP/with-operator.yaml"
echo "operators: [" >> "$DROVER_CONF"
if out=$(scontrol --config "$TMP/with-operator.yaml" reconfigure 2>&1); then fail "a broken drover.yaml was accepted"; fi
grep -q "refused" <<<"$out" || fail "broken reconfigure said: $out"
cp "$TMP/good.yaml" "$DROVER_CONF"
as "$u" scontrol --config "$TMP/with-operator.yaml" update NodeName=node2 State=DRAIN Reason=still ||
  fail "the refused reload changed the operators"
scontrol update NodeName=node2 State=RESUME
pass "a broken drover.yaml is refused with its reason and changes nothing"

# Partitions and added nodes apply live; drover control reconfigure says what changed.
cp "$TMP/good.yaml" "$DROVER_CONF"
sed -i -e 's/default: true}/default: true, max_time: 30, state: down}/' \
  -e 's/^partitions:/  - {names: node9, address: 127.0.0.1, port: 9, cpus: 1, memory: 100}\npartitions:/' "$DROVER_CONF"
echo '  - {name: extra, nodes: node9}' >> "$DROVER_CONF"
out=$(drover control reconfigure) || fail "reconfigure with partition and node changes failed"
grep -q "reconfigured: node node9 added" <<<"$out" || fail "drover control reconfigure said: $out"
grep -q "reconfigured: partition batch: State DOWN MaxTime 30:00" <<<"$out" || fail "drover control reconfigure said: $out"
[ "$(sinfo -h -p batch -o '%a %l')" = "down 30:00" ] || fail "batch after reconfigure: $(sinfo -h -p batch -o '%a %l')"
[ "$(sinfo -h -p extra -o '%P %D')" = "extra 1" ] || fail "new partition: $(sinfo -h -p extra -o '%P %D')"
scontrol show node node9 | grep -q "NodeName=node9" || fail "the added node is unknown: $(scontrol show node node9 2>&1)"
[ "$(cat "$CLUSTER/run/ctld.pid")" = "$ctld_pid" ] || fail "drover-ctld was restarted"
pass "reconfigure applies partition changes (state, MaxTime, a new one) and a new node live"

# A setting that needs a restart: refused, naming it, and nothing else of the edit applies.
cp "$TMP/good.yaml" "$DROVER_CONF"
sed -i -e 's/kill_wait: 2}/kill_wait: 3}/' "$DROVER_CONF"
if out=$(scontrol reconfigure 2>&1); then fail "a kill_wait change was taken without a restart"; fi
grep -q "need a restart.*kill_wait (drover-noded)" <<<"$out" || fail "kill_wait reconfigure said: $out"
[ "$(sinfo -h -p batch -o '%a %l')" = "down 30:00" ] || fail "the refused reload changed partitions: $(sinfo -h -p batch -o '%a %l')"
pass "a change that needs a restart is refused with the setting's name and changes nothing"
