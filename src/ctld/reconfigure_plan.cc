#include "ctld/reconfigure_plan.h"

#include <algorithm>
#include <sstream>

#include "common/units.h"

namespace drover::ctld {
namespace {

template <typename T>
std::string Text(const T& v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

const char* StateName(PartitionState s) {
  switch (s) {
    case PartitionState::kUp: return "UP";
    case PartitionState::kDown: return "DOWN";
    case PartitionState::kDrain: return "DRAIN";
    case PartitionState::kInactive: return "INACTIVE";
  }
  return "?";
}

bool SameCores(const NodeConfig& a, const NodeConfig& b) {
  if (a.cores.size() != b.cores.size()) return false;
  for (size_t i = 0; i < a.cores.size(); ++i) {
    if (a.cores[i].kind != b.cores[i].kind || a.cores[i].cpu_ids != b.cores[i].cpu_ids ||
        a.cores[i].capacity != b.cores[i].capacity) {
      return false;
    }
  }
  return true;
}

void ComparePartition(const PartitionConfig& a, const PartitionConfig& b, std::vector<std::string>& out) {
  std::vector<std::string> what;
  if (a.nodes != b.nodes) what.push_back("Nodes " + Join(b.nodes));
  if (a.is_default != b.is_default) what.push_back(b.is_default ? "Default YES" : "Default NO");
  if (a.state != b.state || a.up != b.up) what.push_back(std::string("State ") + StateName(b.state));
  if (a.max_time_minutes != b.max_time_minutes) {
    what.push_back("MaxTime " + (b.max_time_minutes ? FormatTimeLimit(b.max_time_minutes) : std::string("UNLIMITED")));
  }
  if (a.default_time_minutes != b.default_time_minutes) {
    what.push_back("DefaultTime " + (b.default_time_minutes ? FormatTimeLimit(b.default_time_minutes) : std::string("NONE")));
  }
  if (a.max_nodes != b.max_nodes) what.push_back("MaxNodes " + (b.max_nodes ? Text(b.max_nodes) : std::string("UNLIMITED")));
  if (a.allow_users != b.allow_users || a.allow_groups != b.allow_groups) what.push_back("access lists");
  if (a.priority_tier != b.priority_tier) what.push_back("PriorityTier " + Text(b.priority_tier));
  if (!what.empty()) {
    std::string line = "partition " + b.name + ":";
    for (const auto& w : what) line += " " + w;
    out.push_back(line);
  }
}

}  // namespace

ReconfigurePlan PlanReconfigure(const Config& running, const Config& next,
                                const std::vector<std::string>& partitions_in_use) {
  ReconfigurePlan plan;
  auto restart = [&](bool differs, const std::string& what) {
    if (differs) plan.needs_restart.push_back(what);
  };
  auto live = [&](bool differs, const std::string& what) {
    if (differs) plan.changes.push_back(what);
  };
  const auto& a = running;
  const auto& b = next;
  restart(a.cluster_name != b.cluster_name, "cluster_name (every daemon)");
  restart(a.controller_host != b.controller_host || a.controller_address != b.controller_address ||
              a.controller_port != b.controller_port,
          "controller host, address or port (every daemon)");
  restart(a.state_dir != b.state_dir, "state_dir (drover-ctld)");
  restart(a.spool_dir != b.spool_dir, "spool_dir (drover-noded)");
  restart(a.log_dir != b.log_dir, "log_dir (every daemon)");
  restart(a.auth_socket != b.auth_socket, "auth_socket (every daemon)");
  restart(a.tls_ca != b.tls_ca || a.tls_cert != b.tls_cert || a.tls_key != b.tls_key, "tls files (every daemon)");
  restart(a.heartbeat_interval_s != b.heartbeat_interval_s, "heartbeat_interval (drover-noded)");
  restart(a.kill_wait_s != b.kill_wait_s, "kill_wait (drover-noded)");
  restart(a.clock_skew_s != b.clock_skew_s, "clock_skew (every daemon)");
  restart(a.idle_timeout_s != b.idle_timeout_s, "idle_timeout (every daemon)");
  restart(a.max_frame_bytes != b.max_frame_bytes, "max_frame_bytes (every daemon)");
  restart(a.allow_root_jobs != b.allow_root_jobs, "allow_root_jobs (drover-noded)");
  restart(a.cgroups_enabled != b.cgroups_enabled || a.cgroup_root != b.cgroup_root ||
              a.cgroup_parent != b.cgroup_parent || a.cgroup_pids_limit != b.cgroup_pids_limit,
          "cgroups (drover-noded)");
  restart(a.prolog != b.prolog || a.epilog != b.epilog || a.prolog_timeout_s != b.prolog_timeout_s,
          "prolog/epilog (drover-noded)");
  restart(a.cpu_kinds != b.cpu_kinds, "core kinds (drover-ctld)");
  for (const auto& n : a.nodes) {
    const NodeConfig* m = b.FindNode(n.name);
    if (m == nullptr) {
      plan.needs_restart.push_back("node " + n.name + " removed (drover-ctld)");
    } else if (m->address != n.address || m->port != n.port || m->cpus != n.cpus || m->memory_mb != n.memory_mb ||
               m->features != n.features || !SameCores(n, *m)) {
      plan.needs_restart.push_back("node " + n.name + " changed (drover-ctld and its drover-noded)");
    }
  }
  for (const auto& n : b.nodes) {
    live(a.FindNode(n.name) == nullptr, "node " + n.name + " added");
  }
  for (const auto& p : a.partitions) {
    const PartitionConfig* q = b.FindPartition(p.name);
    if (q != nullptr) {
      ComparePartition(p, *q, plan.changes);
    } else if (std::find(partitions_in_use.begin(), partitions_in_use.end(), p.name) != partitions_in_use.end()) {
      plan.needs_restart.push_back("partition " + p.name + " removed while jobs use it (cancel them first)");
    } else {
      plan.changes.push_back("partition " + p.name + " removed");
    }
  }
  for (const auto& q : b.partitions) live(a.FindPartition(q.name) == nullptr, "partition " + q.name + " added");
  live(a.operators != b.operators, "operators: " + Join(b.operators));
  live(a.private_jobs != b.private_jobs, std::string("private_jobs: ") + (b.private_jobs ? "true" : "false"));
  live(a.topology_policy != b.topology_policy, std::string("topology_policy: ") + TopologyPolicyName(b.topology_policy));
  live(a.node_timeout_s != b.node_timeout_s, "node_timeout: " + Text(b.node_timeout_s) + "s");
  live(a.min_job_age_s != b.min_job_age_s, "min_job_age: " + Text(b.min_job_age_s) + "s");
  live(a.accounting_retention_s != b.accounting_retention_s, "accounting_retention: " + Text(b.accounting_retention_s) + "s");
  live(a.credential_ttl_s != b.credential_ttl_s, "credential_ttl: " + Text(b.credential_ttl_s) + "s");
  live(a.default_mem_per_cpu_mb != b.default_mem_per_cpu_mb, "default_mem_per_cpu: " + Text(b.default_mem_per_cpu_mb) + "M");
  live(a.job_requeue != b.job_requeue, std::string("job_requeue: ") + (b.job_requeue ? "true" : "false"));
  live(a.priority_weight_age != b.priority_weight_age || a.priority_weight_fairshare != b.priority_weight_fairshare ||
           a.priority_weight_job_size != b.priority_weight_job_size ||
           a.priority_weight_partition != b.priority_weight_partition || a.priority_max_age_s != b.priority_max_age_s ||
           a.fairshare_half_life_s != b.fairshare_half_life_s,
       "priority weights");
  live(a.backfill != b.backfill || a.reservations != b.reservations, "backfill");
  live(a.event_pass_depth != b.event_pass_depth || a.event_pass_threshold != b.event_pass_threshold,
       "event passes: depth " + Text(b.event_pass_depth) + ", threshold " + Text(b.event_pass_threshold));
  live(a.key_file != b.key_file || a.next_key_file != b.next_key_file, "key files");
  return plan;
}

}  // namespace drover::ctld
