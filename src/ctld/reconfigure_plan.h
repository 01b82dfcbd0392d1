// What `scontrol reconfigure` (and SIGHUP) may change in a running drover-ctld, and what needs
// a restart. Pure: compares the running configuration with the one just read.
//
// Applied live by drover-ctld: operators, private_jobs, topology_policy, the cluster keys,
// partitions (added, removed while no job names them, any field changed), nodes added (they
// take jobs once their drover-noded registers), node_timeout, min_job_age,
// accounting_retention, credential_ttl, default_mem_per_cpu, job_requeue, the priority weights,
// priority_max_age, fairshare_half_life, backfill, reservations, event_pass_depth,
// event_pass_threshold.
//
// Everything else needs a restart, and a reload that changes any of it is refused whole (the
// running configuration stays, keys included): the controller's name, address and port, the
// cluster name, directories, the auth socket, TLS files, heartbeat_interval, kill_wait,
// clock_skew, idle_timeout, max_frame_bytes, allow_root_jobs, cgroups, prolog/epilog and
// their timeout, and a node removed or its entry changed (address, port, CPUs, cores,
// memory, features), or a new core kind.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"

namespace drover::ctld {

struct ReconfigurePlan {
  std::vector<std::string> changes;       // applied live, one line each ("partition debug: MaxTime 30")
  std::vector<std::string> needs_restart; // settings that differ and need a restart ("kill_wait (drover-noded)")
};

// `in_use(partition)` says whether a job (pending or running) names that partition: such a
// partition may not go away.
ReconfigurePlan PlanReconfigure(const Config& running, const Config& next,
                                const std::vector<std::string>& partitions_in_use);

}  // namespace drover::ctld
