// Where the tasks of a job step go (srun inside an allocation): which of the job's nodes, how
// many tasks on each, and which task ids. Block distribution as Slurm's default: the per-node
// counts are dealt one task per node per round (each node capped by its CPUs / cpus-per-task,
// or by --ntasks-per-node), then consecutive task ids fill node after node. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::ctld {

struct StepLayoutNode {
  std::string node;
  uint32_t cpus = 0;  // the job's CPUs on that node
};

struct StepRequest {
  uint32_t nodes = 0;            // 0 = not given
  bool nodes_soft = false;       // nodes came from the environment: capped by ntasks silently
  uint32_t ntasks = 0;           // 0 = not given
  uint32_t cpus_per_task = 0;    // 0 = 1
  uint32_t ntasks_per_node = 0;  // 0 = not given
  std::vector<std::string> nodelist;  // must be nodes of the job
};

struct StepPlacement {
  std::string node;
  uint32_t cpus = 0;
  std::vector<uint32_t> task_ids;
};

// `job_nodes` in node-list order. Errors (InvalidArgument) say what does not fit and what the
// job has, e.g. "the step asks for 4 nodes but job 12 has 3 (node[1-2,4])".
Result<std::vector<StepPlacement>> LayOutStep(const std::vector<StepLayoutNode>& job_nodes,
                                              const StepRequest& request);

}  // namespace drover::ctld
