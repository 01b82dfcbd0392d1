#!/usr/bin/env bash
# Authorization with real unprivileged users (issue 3): user A's job runs as A with A's
# groups and output owned by A; user B cannot cancel or hold A's job, nor see its private
# details; an operator can; a non-operator cannot drain a node, an operator can; the owner lowers
# a job's time limit (pending or running), only an operator raises it.
# Needs root to create the users; they and their group are removed on exit, pass or fail.
source "$(dirname "$0")/lib.sh"
is_root || { echo "SKIP: needs root to create test users"; exit 77; }

suffix=$$
ua=drvta$suffix ub=drvtb$suffix uo=drvto$suffix grp=drvtg$suffix
remove_users() {
  local rc=$?
  for u in "$ua" "$ub" "$uo"; do userdel "$u" >/dev/null 2>&1 || true; done
  groupdel "$grp" >/dev/null 2>&1 || true
  (exit $rc)
  cleanup
}
trap remove_users EXIT INT TERM
groupadd "$grp"
for u in "$ua" "$ub" "$uo"; do useradd -M -N -g users -s /bin/sh "$u"; done
usermod -a -G "$grp" "$ua"

cluster_up
# Operators are re-read on SIGHUP, like the keys.
echo "operators: [$uo]" >> "$DROVER_CONF"
kill -HUP "$(cat "$CLUSTER/run/ctld.pid")"
wait_until 10 grep -q "cluster keys now" "$CLUSTER/log/ctld.log"

as() { local u=$1; shift; setpriv --reuid="$u" --regid=users --init-groups -- "$@"; }

work=$TMP/work-a
mkdir -p "$work"
chown "$ua" "$work"
cat > "$work/job.sh" <<'SCRIPT'
#!/bin/sh
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G | tr ' ' '\n' | sort -n | tr '\n' ' ')"
sleep 600  # runs until the test cancels it, however slow the build (ASan)
SCRIPT
chmod 755 "$work/job.sh"
id=$(cd "$work" && as "$ua" sbatch --parsable -J secretname job.sh --token=hunter2)
wait_until 30 sh -c "[ \"\$(squeue -h -j $id -o %T)\" = RUNNING ]"
wait_until 10 test -s "$work/slurm-$id.out"
want="uid=$(id -u "$ua") gid=$(id -g "$ua") groups=$(id -G "$ua" | tr ' ' '\n' | sort -n | tr '\n' ' ')"
[ "$(cat "$work/slurm-$id.out")" = "$want" ] || fail "job ran as '$(cat "$work/slurm-$id.out")', want '$want'"
[ "$(stat -c %U "$work/slurm-$id.out")" = "$ua" ] || fail "output owned by $(stat -c %U "$work/slurm-$id.out")"
pass "A's job runs with exactly A's uid, gid and groups; output owned by A"

if out=$(as "$ub" scancel "$id" 2>&1); then fail "B cancelled A's job: $out"; fi
grep -qi "permission denied" <<<"$out" || fail "B's scancel said: $out"
if out=$(as "$ub" scontrol requeue "$id" 2>&1); then fail "B requeued A's job: $out"; fi
grep -qi "permission denied" <<<"$out" || fail "B's requeue said: $out"
[ "$(squeue -h -j "$id" -o %T)" = RUNNING ] || fail "A's job no longer runs"
pass "B can neither cancel nor requeue A's job"

shown_b=$(as "$ub" scontrol show job "$id")
shown_a=$(as "$ua" scontrol show job "$id")
grep -q "WorkDir=$work" <<<"$shown_a" || fail "A does not see the work dir: $shown_a"
grep -q "$work" <<<"$shown_b" && fail "B sees A's work dir: $shown_b"
as "$ub" squeue -h -o '%i %u' | grep -q "^$id $ua$" || fail "B does not see that the job exists"
pass "B sees A's job without its private details"

held=$(cd "$work" && as "$ua" sbatch --parsable --hold job.sh)
if as "$ub" scontrol release "$held" >/dev/null 2>&1; then fail "B released A's job"; fi
as "$uo" scontrol release "$held" || fail "the operator could not release A's job"
as "$uo" scancel "$held" || fail "the operator could not cancel A's job"
wait_until 30 job_done "$held"
[ "$(job_state "$held")" = CANCELLED ] || fail "job $held ended $(job_state "$held")"
pass "an operator acts on A's jobs"

# scontrol update JobId=: the owner lowers, only operators raise; pending jobs only.
pending=$(cd "$work" && as "$ua" sbatch --parsable --hold -t 30 job.sh)
as "$ua" scontrol update JobId="$pending" TimeLimit=20 || fail "A could not lower its job's time limit"
[ "$(squeue -h -j "$pending" -o %l)" = 20:00 ] || fail "squeue %l after lowering: $(squeue -h -j "$pending" -o %l)"
if out=$(as "$ua" scontrol update JobId="$pending" TimeLimit=1:00:00 2>&1); then fail "A raised its own limit: $out"; fi
grep -q "operators" <<<"$out" || fail "A's raise said: $out"
if out=$(as "$ub" scontrol update JobId="$pending" TimeLimit=5 2>&1); then fail "B changed A's job: $out"; fi
grep -qi "permission denied" <<<"$out" || fail "B's update said: $out"
as "$ua" scontrol update JobId="$pending" TimeLimit-=5 || fail "A could not take 5 minutes off its job's limit"
[ "$(squeue -h -j "$pending" -o %l)" = 15:00 ] || fail "squeue %l after TimeLimit-=5: $(squeue -h -j "$pending" -o %l)"
if out=$(as "$ua" scontrol update JobId="$pending" TimeLimit=+5 2>&1); then fail "A added to its own limit: $out"; fi
grep -q "operators" <<<"$out" || fail "A's TimeLimit=+5 said: $out"
as "$uo" drover control update JobId="$pending" TimeLimit=UNLIMITED Partition=batch || fail "the operator could not raise the limit"
scontrol show job "$pending" | grep -q "TimeLimit=UNLIMITED" || fail "show job: $(scontrol show job "$pending" | grep TimeLimit)"
if out=$(scontrol update JobId="$pending" Partition=nosuch 2>&1); then fail "moved to a missing partition: $out"; fi
grep -q "invalid partition" <<<"$out" || fail "missing partition said: $out"
if out=$(scontrol update JobId="$pending" TimeLimit=soon 2>&1); then fail "TimeLimit=soon accepted"; fi
grep -q "D-H:M:S" <<<"$out" || fail "bad time said: $out"
# A running job: the owner may still lower its limit, not raise it.
as "$ua" scontrol update JobId="$id" TimeLimit=100 || fail "A could not lower its running job's limit"
[ "$(squeue -h -j "$id" -o %l)" = 1:40:00 ] || fail "running job's %l after lowering: $(squeue -h -j "$id" -o %l)"
if out=$(as "$ua" scontrol update JobId="$id" TimeLimit=200 2>&1); then fail "A raised its running job's limit: $out"; fi
grep -q "operators" <<<"$out" || fail "A's raise of a running job said: $out"
scancel "$pending"
pass "scontrol update JobId= TimeLimit= Partition=: owner lowers, operator raises, also while running"

if out=$(as "$ub" scontrol update NodeName=node2 State=DRAIN Reason=test 2>&1); then
  fail "a non-operator drained a node: $out"
fi
grep -qi "permission denied" <<<"$out" || fail "B's drain said: $out"
as "$uo" scontrol update NodeName=node2 State=DRAIN Reason="new fans" || fail "operator drain failed"
[ "$(sinfo -h -n node2 -N -o %t)" = drain ] || fail "sinfo shows node2 as $(sinfo -h -n node2 -N -o %t)"
sinfo -R -h | grep -q "new fans" || fail "sinfo -R does not give the reason: $(sinfo -R)"
scontrol update NodeName=node2 State=RESUME || fail "root could not resume node2"
wait_until 10 sh -c "[ \"\$(sinfo -h -n node2 -N -o %t)\" = idle ]"
pass "only root and operators drain and resume nodes; sinfo shows drain with its reason"

scancel "$id" || fail "root could not cancel A's job"
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = CANCELLED ] || fail "job $id ended $(job_state "$id")"
pass "root cancels A's job"

# private_jobs: B's --explain ranks B's job among B's own, not showing A's pending job.
echo "private_jobs: true" >> "$DROVER_CONF"
drover control reconfigure >/dev/null || fail "reconfigure with private_jobs"
aid=$(cd "$work" && as "$ua" sbatch --parsable --hold --wrap true)
bid=$(cd /tmp && as "$ub" sbatch --parsable --hold -o /dev/null --wrap true)
out=$(as "$ub" drover queue --explain "$bid")
grep -q "^job $bid (.*), priority [0-9-]*, 1 of 1 pending" <<<"$out" || fail "B's --explain under private_jobs: $out"
if as "$ub" drover queue --explain "$bid" --json | grep -q "\b$aid\b"; then fail "B's --explain --json shows A's job $aid"; fi
scancel "$aid" "$bid"
pass "private_jobs: --explain leaves out the priority rows of others' jobs"
