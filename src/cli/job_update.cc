#include "cli/job_update.h"

#include "cli/key_value.h"
#include "common/text.h"
#include "common/units.h"

namespace drover::cli {
namespace {

bool IsJobKey(const std::string& key) { return key == "jobid" || key == "job"; }

}  // namespace

Result<TimeLimitChange> ParseTimeLimitChange(const std::string& name, const std::string& value) {
  // Slurm's two spellings of a relative change: the sign before the '=' (TimeLimit+=30, its
  // manual's) or after it (TimeLimit=+30, older releases' and many site docs').
  char sign = 0;
  if (!name.empty() && (name.back() == '+' || name.back() == '-')) sign = name.back();
  std::string time = value;
  if (!time.empty() && (time.front() == '+' || time.front() == '-')) {
    if (sign != 0) return Status::InvalidArgument("TimeLimit: give the sign once (TimeLimit+=30 or TimeLimit=+30)");
    sign = time.front();
    time.erase(0, 1);
  }
  TimeLimitChange change;
  if (sign == 0) {
    auto minutes = ParseTimeLimitMinutes(time);
    if (!minutes.ok()) return minutes.status().WithContext("TimeLimit");
    change.minutes = *minutes;
    return change;
  }
  auto minutes = ParseTimeLimitMinutes(time);
  if (!minutes.ok()) return minutes.status().WithContext("TimeLimit");
  if (*minutes == kUnlimitedMinutes) {
    return Status::InvalidArgument("TimeLimit: cannot add or subtract " + time + ": give an amount of time such as 30 or 1:00:00");
  }
  change.relative = true;
  change.delta_minutes = sign == '+' ? int64_t{*minutes} : -int64_t{*minutes};
  return change;
}

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
    } else if (key == "timelimit" || key == "timelimit+" || key == "timelimit-") {
      if (u.request.set_time_limit() || u.request.add_time_limit()) {
        return Status::InvalidArgument("TimeLimit given twice");
      }
      auto change = ParseTimeLimitChange(name, value);
      if (!change.ok()) return change.status();
      if (change->relative) {
        u.request.set_add_time_limit(true);
        u.request.set_time_limit_delta_minutes(change->delta_minutes);
      } else {
        u.request.set_set_time_limit(true);
        u.request.set_time_limit_minutes(change->minutes);
      }
    } else if (key == "partition") {
      if (value.empty()) return Status::InvalidArgument("Partition= needs a partition name");
      u.request.set_partition(value);
    } else {
      return Status::Unsupported("cannot update " + name + " of a job: drover changes TimeLimit= and Partition=");
    }
  }
  if (u.ids.empty()) return Status::InvalidArgument("no job given: use JobId=<id>");
  if (!u.request.set_time_limit() && !u.request.add_time_limit() && u.request.partition().empty()) {
    return Status::InvalidArgument("nothing to change: give TimeLimit=<time> and/or Partition=<name>");
  }
  return u;
}

}  // namespace drover::cli
