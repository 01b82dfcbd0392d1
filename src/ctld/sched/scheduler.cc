#include "ctld/sched/scheduler.h"

#include <algorithm>
#include <map>

namespace drover::sched {
namespace {

uint32_t NodesFor(const JobRequest& job) { return std::max<uint32_t>(job.min_nodes, 1); }
uint32_t TasksFor(const JobRequest& job) { return job.ntasks ? job.ntasks : NodesFor(job); }
uint32_t CpusPerTask(const JobRequest& job) { return std::max<uint32_t>(job.cpus_per_task, 1); }

uint64_t MemoryFor(const JobRequest& job, uint32_t cpus, const Policy& policy) {
  if (job.mem_per_node_mb) return job.mem_per_node_mb;
  if (job.mem_per_cpu_mb) return job.mem_per_cpu_mb * cpus;
  return policy.default_mem_per_cpu_mb * cpus;
}

// The (cpus, memory) each node of the job needs, in node-list order.
std::vector<NodeAllocation> Shape(const JobRequest& job, const Policy& policy) {
  std::vector<NodeAllocation> shape;
  for (uint32_t tasks : BlockDistribution(TasksFor(job), NodesFor(job))) {
    NodeAllocation a;
    a.tasks = tasks;
    a.cpus = tasks * CpusPerTask(job);
    a.memory_mb = MemoryFor(job, a.cpus, policy);
    shape.push_back(a);
  }
  return shape;
}

}  // namespace

std::vector<uint32_t> BlockDistribution(uint32_t ntasks, uint32_t nodes) {
  std::vector<uint32_t> out(nodes, ntasks / nodes);
  for (uint32_t i = 0; i < ntasks % nodes; ++i) ++out[i];
  return out;
}

Status CheckFeasible(const JobRequest& job, const PartitionSnapshot& partition,
                     const std::vector<NodeSnapshot>& nodes, const Policy& policy) {
  const uint32_t want_nodes = NodesFor(job);
  if (job.ntasks != 0 && job.ntasks < want_nodes) {
    return Status::InvalidArgument("cannot run " + std::to_string(job.ntasks) + " tasks on " +
                                   std::to_string(want_nodes) +
                                   " nodes: ask for at least as many tasks as nodes");
  }
  if (partition.nodes.size() < want_nodes) {
    return Status::InvalidArgument("requested " + std::to_string(want_nodes) +
                                   " nodes but partition " + partition.name + " has only " +
                                   std::to_string(partition.nodes.size()));
  }
  std::map<std::string, const NodeSnapshot*> by_name;
  for (const auto& n : nodes) by_name[n.name] = &n;
  const auto shape = Shape(job, policy);
  // Per-node needs are non-increasing, so a job is feasible iff the k-th largest node can
  // hold the k-th chunk; count the nodes able to hold the largest chunk first.
  std::vector<const NodeSnapshot*> members;
  uint32_t max_cpus = 0;
  uint64_t max_mem = 0;
  for (const auto& name : partition.nodes) {
    auto it = by_name.find(name);
    if (it == by_name.end()) continue;
    members.push_back(it->second);
    max_cpus = std::max(max_cpus, it->second->cpus_total);
    max_mem = std::max(max_mem, it->second->memory_total_mb);
  }
  const auto& biggest = shape.front();
  if (biggest.cpus > max_cpus) {
    return Status::InvalidArgument(
        "requested " + std::to_string(biggest.cpus) + " CPUs on one node but the largest node in partition " +
        partition.name + " has " + std::to_string(max_cpus) +
        " (CPUs per node = tasks per node x cpus-per-task)");
  }
  if (biggest.memory_mb > max_mem) {
    return Status::InvalidArgument("requested " + std::to_string(biggest.memory_mb) +
                                   " MB of memory on one node but the largest node in partition " +
                                   partition.name + " has " + std::to_string(max_mem) + " MB");
  }
  uint32_t fitting = 0;
  for (const auto* n : members) {
    if (n->cpus_total >= shape.back().cpus && n->memory_total_mb >= shape.back().memory_mb) ++fitting;
  }
  if (fitting < want_nodes) {
    return Status::InvalidArgument("requested " + std::to_string(want_nodes) + " nodes with " +
                                   std::to_string(shape.back().cpus) + " CPUs and " +
                                   std::to_string(shape.back().memory_mb) +
                                   " MB each, but partition " + partition.name + " has only " +
                                   std::to_string(fitting) + " such nodes");
  }
  return Status::Ok();
}

Decisions Schedule(const std::vector<NodeSnapshot>& nodes,
                   const std::vector<PartitionSnapshot>& partitions,
                   const std::vector<JobRequest>& pending, const Policy& policy) {
  Decisions out;
  std::map<std::string, NodeSnapshot> free;
  for (const auto& n : nodes) free[n.name] = n;
  std::map<std::string, const PartitionSnapshot*> parts;
  for (const auto& p : partitions) parts[p.name] = &p;

  bool blocked = false;
  for (const auto& job : pending) {
    if (blocked) {
      out.waits.push_back({job.id, "Priority"});
      continue;
    }
    auto pit = parts.find(job.partition);
    if (pit == parts.end()) {
      out.waits.push_back({job.id, "InvalidPartition"});
      continue;
    }
    if (!pit->second->up) {
      out.waits.push_back({job.id, "PartitionDown"});
      continue;
    }
    const auto shape = Shape(job, policy);
    std::vector<NodeAllocation> chosen;
    for (const auto& name : pit->second->nodes) {
      if (chosen.size() == shape.size()) break;
      auto it = free.find(name);
      if (it == free.end() || !it->second.available) continue;
      const auto& need = shape[chosen.size()];
      if (it->second.cpus_free >= need.cpus && it->second.memory_free_mb >= need.memory_mb) {
        NodeAllocation a = need;
        a.node = name;
        chosen.push_back(a);
      }
    }
    if (chosen.size() < shape.size()) {
      out.waits.push_back({job.id, "Resources"});
      blocked = true;
      continue;
    }
    for (const auto& a : chosen) {
      auto& n = free[a.node];
      n.cpus_free -= a.cpus;
      n.memory_free_mb -= a.memory_mb;
    }
    out.starts.push_back({job.id, std::move(chosen)});
  }
  return out;
}

}  // namespace drover::sched
