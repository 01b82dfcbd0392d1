// Job dependencies (`sbatch -d/--dependency`): the grammar and the rule that decides whether
// one is met. Pure: the controller supplies what it knows of the jobs named.
//
// Grammar (Slurm's): items separated by ',' (all must hold) or '?' (any may hold; one list uses
// one separator); item = `singleton` | TYPE ':' JOB { ':' JOB }, TYPE in after, afterany,
// afterok, afternotok; JOB = id | id_task.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace drover::ctld {

enum class DependencyType { kAfter, kAfterAny, kAfterOk, kAfterNotOk, kSingleton };

struct DependencyItem {
  DependencyType type = DependencyType::kAfterAny;
  uint64_t job_id = 0;                // 0 for singleton
  std::optional<uint32_t> task_id;    // "12_3": one element of array 12
};

struct Dependency {
  std::vector<DependencyItem> items;
  bool any = false;  // '?': one satisfied item is enough
  bool empty() const { return items.empty(); }
};

Result<Dependency> ParseDependency(std::string_view text);

// What the controller knows of the job(s) an item names: for an array, of all its elements.
struct TargetState {
  bool known = false;
  uint32_t pending = 0;   // not started yet
  uint32_t running = 0;
  uint32_t ok = 0;        // ended COMPLETED
  uint32_t not_ok = 0;    // ended any other way (FAILED, CANCELLED, TIMEOUT, ...)
};

enum class DependencyStatus { kWaiting, kSatisfied, kNeverSatisfied };

// One item. A target the controller no longer knows (purged) lifts the item, as Slurm does.
DependencyStatus EvaluateItem(DependencyType type, const TargetState& target);
// Combines item results per the list's separator.
DependencyStatus Combine(const std::vector<DependencyStatus>& items, bool any);

}  // namespace drover::ctld
