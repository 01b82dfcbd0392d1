// The scheduler core: a pure function from a snapshot of the cluster to decisions.
//
// No I/O, no clock, no logging, no protobuf (STYLE.md §6.2): the controller builds a Snapshot,
// calls Schedule, applies the Starts and shows the Waits' reasons. Same input, same output.
// This first version is first-come first-served over free CPUs and memory: pending jobs are
// considered in the order given; once one cannot start, every later job waits behind it
// (reason "Priority"), so nothing overtakes the head of the queue. Backfill, CPU kinds and
// priorities come later (issue #5) behind the same interface.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::sched {

struct NodeSnapshot {
  std::string name;
  bool available = false;  // registered and not down
  uint32_t cpus_total = 0;
  uint32_t cpus_free = 0;
  uint64_t memory_total_mb = 0;
  uint64_t memory_free_mb = 0;
};

struct PartitionSnapshot {
  std::string name;
  bool up = true;
  std::vector<std::string> nodes;  // in config order
};

struct JobRequest {
  uint64_t id = 0;
  std::string partition;
  uint32_t min_nodes = 1;
  uint32_t max_nodes = 0;        // 0 = same as min_nodes
  uint32_t ntasks = 0;           // 0 = one task per node
  uint32_t cpus_per_task = 1;
  uint64_t mem_per_node_mb = 0;  // 0 = not given
  uint64_t mem_per_cpu_mb = 0;   // 0 = not given
};

struct NodeAllocation {
  std::string node;
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  uint32_t tasks = 0;
};

struct Start {
  uint64_t job_id = 0;
  std::vector<NodeAllocation> nodes;  // node-list order; the batch script runs on the first
};

struct Wait {
  uint64_t job_id = 0;
  std::string reason;  // Slurm's names: Resources, Priority, PartitionDown, ...
};

struct Decisions {
  std::vector<Start> starts;
  std::vector<Wait> waits;
};

struct Policy {
  uint64_t default_mem_per_cpu_mb = 512;
};

// The per-node task counts of a block distribution of `ntasks` over `nodes` nodes:
// the first (ntasks % nodes) nodes get one more. REQUIRES: nodes > 0, ntasks >= nodes.
std::vector<uint32_t> BlockDistribution(uint32_t ntasks, uint32_t nodes);

// Checks the request against the partition's nodes as if they were all idle: InvalidArgument
// with a message a user can act on when the job could never run (too many nodes, more CPUs or
// memory per node than any node has, tasks fewer than nodes).
Status CheckFeasible(const JobRequest& job, const PartitionSnapshot& partition,
                     const std::vector<NodeSnapshot>& nodes, const Policy& policy);

// `pending` is in priority order (for FCFS: submission order).
Decisions Schedule(const std::vector<NodeSnapshot>& nodes,
                   const std::vector<PartitionSnapshot>& partitions,
                   const std::vector<JobRequest>& pending, const Policy& policy);

}  // namespace drover::sched
