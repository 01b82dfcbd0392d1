// The words of `scontrol update JobId=12 TimeLimit=1:00:00 Partition=short` turned into a
// request. Pure: the job ids stay words (12, 12,13, 12_7) for the caller to resolve.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::cli {

struct JobUpdate {
  std::vector<std::string> ids;  // the JobId= values as written
  v1::UpdateJobRequest request;  // without job ids
};

// Whether `words` (what follows `update`) name a job (a JobId= key) rather than nodes.
bool IsJobUpdate(const std::vector<std::string>& words);

// KEY=VALUE pairs, keys case-insensitive: JobId (or JobID, Job), TimeLimit (CONTRACT.md §8.7
// grammar), Partition. At least one of TimeLimit and Partition.
Result<JobUpdate> ParseJobUpdate(const std::vector<std::string>& words);

}  // namespace drover::cli
