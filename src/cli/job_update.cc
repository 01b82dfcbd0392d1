#include "cli/job_update.h"

#include "cli/key_value.h"
#include "common/text.h"
#include "common/units.h"

namespace drover::cli {
namespace {

bool IsJobKey(const std::string& key) { return key == "jobid" || key == "job"; }

}  // namespace

bool IsJobUpdate(const std::vector<std::string>& words) {
  for (const std::string& w : words) {
    const auto eq = w.find('=');
    if (eq != std::string::npos && IsJobKey(AsciiLower(w.substr(0, eq)))) return true;
  }
  return false;
}

Result<JobUpdate> ParseJobUpdate(const std::vector<std::string>& words) {
  auto pairs = ParseKeyValues(words, "e.g. JobId=12 TimeLimit=30");
  if (!pairs.ok()) return pairs.status();
  JobUpdate u;
  for (const auto& [key, name, value] : *pairs) {
    if (IsJobKey(key)) {
      if (value.empty()) return Status::InvalidArgument("JobId= needs a job id (N, N,M or ARRAY_INDEX)");
      u.ids.push_back(value);
    } else if (key == "timelimit") {
      auto minutes = ParseTimeLimitMinutes(value);
      if (!minutes.ok()) return minutes.status().WithContext("TimeLimit");
      u.request.set_set_time_limit(true);
      u.request.set_time_limit_minutes(*minutes);
    } else if (key == "partition") {
      if (value.empty()) return Status::InvalidArgument("Partition= needs a partition name");
      u.request.set_partition(value);
    } else {
      return Status::Unsupported("cannot update " + name + " of a job: drover changes TimeLimit= and Partition=");
    }
  }
  if (u.ids.empty()) return Status::InvalidArgument("no job given: use JobId=<id>");
  if (!u.request.set_time_limit() && u.request.partition().empty()) {
    return Status::InvalidArgument("nothing to change: give TimeLimit=<time> and/or Partition=<name>");
  }
  return u;
}

}  // namespace drover::cli
