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
