// The words of `scontrol update JobId=12 TimeLimit=1:00:00 Partition=short` turned into a
// request. Pure: the job ids stay words (12, 12,13, 12_7) for the caller to resolve.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::cli {

struct JobUpdate {
  std::vector<std::string> ids;  // the JobId= values as written
  v1::UpdateJobRequest request;  // without job ids
};

// What a TimeLimit word asks: an absolute limit (minutes, kUnlimitedMinutes for UNLIMITED) or
// minutes to add (TimeLimit+=N, TimeLimit=+N) or take away (TimeLimit-=N, TimeLimit=-N).
struct TimeLimitChange {
  bool relative = false;
  uint32_t minutes = 0;       // when !relative
  int64_t delta_minutes = 0;  // when relative
};

// `name` is the key as written (TimeLimit, TimeLimit+ or TimeLimit-), `value` what follows '='.
// The time is CONTRACT.md §8.7's grammar; a signed one may not be UNLIMITED.
Result<TimeLimitChange> ParseTimeLimitChange(const std::string& name, const std::string& value);

// Whether `words` (what follows `update`) name a job (a JobId= key) rather than nodes.
bool IsJobUpdate(const std::vector<std::string>& words);

// KEY=VALUE pairs, keys case-insensitive: JobId (or JobID, Job), TimeLimit (CONTRACT.md §8.7
// grammar; TimeLimit+=N / TimeLimit-=N / TimeLimit=+N / TimeLimit=-N change it by N),
// Partition. At least one of TimeLimit and Partition.
Result<JobUpdate> ParseJobUpdate(const std::vector<std::string>& words);

}  // namespace drover::cli
