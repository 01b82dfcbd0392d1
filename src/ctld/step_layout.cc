#include "ctld/step_layout.h"

#include <algorithm>
#include <set>

namespace drover::ctld {

Result<std::vector<StepPlacement>> LayOutStep(const std::vector<StepLayoutNode>& job_nodes,
                                              const StepRequest& request) {
  std::vector<StepLayoutNode> candidates;
  if (!request.nodelist.empty()) {
    const std::set<std::string> wanted(request.nodelist.begin(), request.nodelist.end());
    for (const auto& n : job_nodes) {
      if (wanted.count(n.node)) candidates.push_back(n);
    }
    for (const auto& w : wanted) {
      if (std::none_of(job_nodes.begin(), job_nodes.end(), [&](const auto& n) { return n.node == w; })) {
        return Status::InvalidArgument("requested node " + w + " is not part of the job's allocation");
      }
    }
  } else {
    candidates = job_nodes;
  }
  if (candidates.empty()) return Status::InvalidArgument("the job has no nodes to run a step on");

  const uint32_t cpt = std::max<uint32_t>(request.cpus_per_task, 1);
  uint32_t nodes = request.nodes;
  if (nodes != 0 && request.nodes_soft && request.ntasks != 0) nodes = std::min(nodes, request.ntasks);
  if (nodes == 0) {
    // Without -N: the --nodelist nodes, else as many of the job's nodes as there are tasks.
    if (!request.nodelist.empty()) {
      nodes = static_cast<uint32_t>(candidates.size());
    } else if (request.ntasks != 0 && request.ntasks_per_node == 0) {
      nodes = std::min<uint32_t>(request.ntasks, static_cast<uint32_t>(candidates.size()));
    } else {
      nodes = static_cast<uint32_t>(candidates.size());
    }
  }
  if (nodes > candidates.size()) {
    if (request.nodes_soft) {
      nodes = static_cast<uint32_t>(candidates.size());
    } else {
      return Status::InvalidArgument("the step asks for " + std::to_string(nodes) +
                                     " nodes but the job has " + std::to_string(candidates.size()) +
                                     (request.nodelist.empty() ? "" : " of those named"));
    }
  }
  if (!request.nodelist.empty() && nodes < candidates.size()) {
    return Status::InvalidArgument("--nodelist names " + std::to_string(candidates.size()) +
                                   " nodes but the step asks for " + std::to_string(nodes));
  }
  candidates.resize(nodes);

  uint32_t ntasks = request.ntasks;
  if (ntasks == 0) ntasks = request.ntasks_per_node ? request.ntasks_per_node * nodes : nodes;
  if (ntasks < nodes) {
    return Status::InvalidArgument("cannot run " + std::to_string(ntasks) + " tasks on " +
                                   std::to_string(nodes) + " nodes: each node needs one task");
  }
  std::vector<uint32_t> cap(nodes), count(nodes, 0);
  uint64_t total_cap = 0;
  for (uint32_t i = 0; i < nodes; ++i) {
    cap[i] = request.ntasks_per_node ? request.ntasks_per_node : candidates[i].cpus / cpt;
    if (!request.ntasks_per_node && cap[i] == 0) {
      return Status::InvalidArgument("node " + candidates[i].node + " has " +
                                     std::to_string(candidates[i].cpus) + " CPUs of the job, fewer than --cpus-per-task=" +
                                     std::to_string(cpt));
    }
    total_cap += cap[i];
  }
  if (ntasks > total_cap) {
    return Status::InvalidArgument(
        "the step asks for " + std::to_string(ntasks) + " tasks of " + std::to_string(cpt) +
        " CPUs but only " + std::to_string(total_cap) + " fit on the job's " + std::to_string(nodes) +
        " nodes" + (request.ntasks_per_node ? " with --ntasks-per-node" : ""));
  }
  // Deal one task per node per round, so counts stay balanced (Slurm's block layout).
  uint32_t placed = 0;
  while (placed < ntasks) {
    for (uint32_t i = 0; i < nodes && placed < ntasks; ++i) {
      if (count[i] < cap[i]) {
        ++count[i];
        ++placed;
      }
    }
  }
  std::vector<StepPlacement> out;
  uint32_t next = 0;
  for (uint32_t i = 0; i < nodes; ++i) {
    StepPlacement p{candidates[i].node, candidates[i].cpus, {}};
    for (uint32_t k = 0; k < count[i]; ++k) p.task_ids.push_back(next++);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace drover::ctld
