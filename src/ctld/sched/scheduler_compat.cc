#include "ctld/sched/scheduler_compat.h"

#include "ctld/sched/scheduler.h"

namespace drover::sched {
namespace {

Node ToNode(const NodeSnapshot& n) {
  Node out;
  out.name = n.name;
  out.available = n.available;
  KindCores g{"default", {}};
  for (uint32_t i = 0; i < n.cpus_total; ++i) g.core_ids.push_back(i);
  out.cores.push_back(std::move(g));
  // The old interface counts CPUs without naming them: the busy ones are the lowest ids.
  for (uint32_t i = n.cpus_total - std::min(n.cpus_free, n.cpus_total); i < n.cpus_total; ++i) {
    out.free_cores.push_back(i);
  }
  out.memory_total_mb = n.memory_total_mb;
  out.memory_free_mb = n.memory_free_mb;
  return out;
}

PendingJob ToJob(const JobRequest& r, int64_t order) {
  PendingJob j;
  j.id = r.id;
  j.partition = r.partition;
  j.submit_time = order;
  j.min_nodes = r.min_nodes;
  j.max_nodes = r.max_nodes;
  j.ntasks = r.ntasks;
  j.cpus_per_task = r.cpus_per_task;
  j.mem_per_node_mb = r.mem_per_node_mb;
  j.mem_per_cpu_mb = r.mem_per_cpu_mb;
  j.time_limit_minutes = kUnlimitedMinutes;
  return j;
}

Partition ToPartition(const PartitionSnapshot& p) {
  Partition out;
  out.name = p.name;
  out.nodes = p.nodes;
  out.state = p.up ? PartitionState::kUp : PartitionState::kDown;
  return out;
}

Options ToOptions(const Policy& policy) {
  Options o;
  o.default_mem_per_cpu_mb = policy.default_mem_per_cpu_mb;
  o.weight_age = o.weight_fairshare = o.weight_job_size = o.weight_partition = 0;
  o.backfill = false;
  return o;
}

}  // namespace

Status CheckFeasible(const JobRequest& job, const PartitionSnapshot& partition,
                     const std::vector<NodeSnapshot>& nodes, const Policy& policy) {
  Snapshot snap;
  for (const auto& n : nodes) snap.nodes.push_back(ToNode(n));
  snap.partitions.push_back(ToPartition(partition));
  return CheckFeasible(ToJob(job, 0), snap, ToOptions(policy));
}

Decisions Schedule(const std::vector<NodeSnapshot>& nodes,
                   const std::vector<PartitionSnapshot>& partitions,
                   const std::vector<JobRequest>& pending, const Policy& policy) {
  Snapshot snap;
  for (const auto& n : nodes) snap.nodes.push_back(ToNode(n));
  for (const auto& p : partitions) snap.partitions.push_back(ToPartition(p));
  for (size_t i = 0; i < pending.size(); ++i) {
    snap.pending.push_back(ToJob(pending[i], static_cast<int64_t>(i)));
  }
  const Plan plan = Schedule(snap, ToOptions(policy));
  Decisions out;
  for (const auto& s : plan.starts) {
    Start start{s.id, {}};
    for (const auto& a : s.nodes) {
      start.nodes.push_back(
          {a.node, static_cast<uint32_t>(a.core_ids.size()), a.memory_mb, a.tasks});
    }
    out.starts.push_back(std::move(start));
  }
  for (const auto& w : plan.waits) out.waits.push_back({w.id, w.reason});
  return out;
}

}  // namespace drover::sched
