// The pre-issue-5 scheduler interface (first come, first served over CPU counts), kept as a thin
// adapter over the new core (scheduler.h) so that the controller builds until it uses the new
// API. To be deleted once src/ctld/controller.cc is switched over.
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
  std::string reason;
};

struct Decisions {
  std::vector<Start> starts;
  std::vector<Wait> waits;
};

struct Policy {
  uint64_t default_mem_per_cpu_mb = 512;
};

// Defined in placement.cc.
std::vector<uint32_t> BlockDistribution(uint32_t ntasks, uint32_t nodes);

// The new CheckFeasible on a snapshot of `nodes` with one "default" core kind.
Status CheckFeasible(const JobRequest& job, const PartitionSnapshot& partition,
                     const std::vector<NodeSnapshot>& nodes, const Policy& policy);

// `pending` in priority order; strict order (no backfill), as before issue #5.
Decisions Schedule(const std::vector<NodeSnapshot>& nodes,
                   const std::vector<PartitionSnapshot>& partitions,
                   const std::vector<JobRequest>& pending, const Policy& policy);

}  // namespace drover::sched
