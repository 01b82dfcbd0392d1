// Job array index sets and the `--array` grammar (CONTRACT.md §8.4, SB-10). Pure.
//
// An array is one job record however many elements it has: its not-yet-started indices are a
// bitmap (one bit per index up to the largest), so a 100,000-element array costs ~12 KB.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace drover::ctld {

// The largest array index accepted (Slurm's MaxArraySize is 1001 by default; we allow more
// because the set costs a bit per index).
inline constexpr uint32_t kMaxArrayIndex = 4'000'000;

class IndexSet {
 public:
  void Add(uint32_t i);
  void Remove(uint32_t i);
  bool Contains(uint32_t i) const;
  uint32_t Count() const { return count_; }
  bool Empty() const { return count_ == 0; }
  // The smallest index >= `from`, if any.
  std::optional<uint32_t> NextFrom(uint32_t from) const;
  std::optional<uint32_t> First() const { return NextFrom(0); }
  std::optional<uint32_t> Last() const;
  // "0-3,7,9-10": consecutive runs joined with '-', never the `a-b:step` form (submitit cannot
  // read it, CONTRACT.md §8.4).
  std::string Ranges() const;
  // The inverse of Ranges() (also accepts "a-b:step").
  static Result<IndexSet> Parse(std::string_view text);

 private:
  std::vector<uint64_t> words_;
  uint32_t count_ = 0;
};

struct ArraySpec {
  IndexSet indices;
  uint32_t max_running = 0;  // %M; 0 = no limit
  // For SLURM_ARRAY_TASK_{MIN,MAX,COUNT,STEP}. `step` is the common distance of all indices,
  // 1 when they are not evenly spaced (as Slurm).
  uint32_t min = 0, max = 0, count = 0, step = 1;
};

// "0-99", "1,3,5", "0-15:4", "0-9%2", "1-5,10-20:5%3". InvalidArgument naming what is wrong.
Result<ArraySpec> ParseArraySpec(std::string_view text);

// Replaces %A (array job id) and %a (task id), with optional zero-pad width ("%3a" -> "007"),
// and leaves every other % sequence (also "%%") for the node to expand.
std::string ExpandArrayPattern(std::string_view pattern, uint64_t array_job_id, uint32_t task_id);

// A job id as users write it: "12", "12_7", "12_[1-3,5]".
struct JobIdSpec {
  uint64_t job_id = 0;
  std::optional<IndexSet> tasks;  // absent: the whole job (or array)
};
Result<JobIdSpec> ParseJobIdSpec(std::string_view text);

}  // namespace drover::ctld
