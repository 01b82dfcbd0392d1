// The job and node vocabulary every part shares: states with the names Slurm prints
// (CONTRACT.md §8.5), and the per-node count compression of §8.2. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

enum class JobState {
  kPending,
  kRunning,
  kCompleted,
  kFailed,
  kCancelled,
  kTimeout,
  kNodeFail,
  kOutOfMemory,
};

enum class NodeState {
  kUnknown,  // configured, never registered
  kIdle,
  kMixed,
  kAllocated,
  kDown,
  kDraining,  // drained by the node's own failure (prolog, epilog, cgroup) with jobs still on it
  kDrained,   // ... and none left: takes no jobs until its noded restarts
  kInvalid,  // registered with less hardware than configured (topology_policy strict): drained
};

// "PENDING", "RUNNING", ... (sacct State, squeue %T, scontrol JobState=).
std::string_view JobStateName(JobState s);
// "PD", "R", "CD", ... (squeue %t).
std::string_view JobStateCode(JobState s);
// Accepts long names and compact codes, case-insensitive.
std::optional<JobState> ParseJobState(std::string_view text);
bool IsFinished(JobState s);

// sinfo's long ("idle", "mixed", "allocated", "down", "invalid", "unknown") and compact
// ("idle", "mix", "alloc", "down", "inval", "unk") spellings.
std::string_view NodeStateName(NodeState s);
std::string_view NodeStateCompact(NodeState s);

// [2,2,2,1] -> "2(x3),1" (SLURM_TASKS_PER_NODE and friends).
std::string CompressCounts(const std::vector<uint32_t>& counts);

}  // namespace drover
