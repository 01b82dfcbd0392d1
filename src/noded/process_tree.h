// Finding every process a job started, so that cancel leaves nothing behind.
//
// drover-stepd makes itself a child subreaper (PR_SET_CHILD_SUBREAPER): a job's process that
// daemonizes (double fork, setsid) is re-parented to stepd instead of init, so the job's
// processes are always stepd's descendants. Cgroups (issue #6) make this exact; this works
// without them and without root.
#pragma once

#include <sys/types.h>

#include <vector>

namespace drover::noded {

// Every descendant of `root` (not `root` itself), read from /proc; zombies not yet reaped
// are included.
std::vector<pid_t> Descendants(pid_t root);

// Sends `sig` to every descendant of `root`; returns how many were signalled.
size_t SignalDescendants(pid_t root, int sig);

}  // namespace drover::noded
