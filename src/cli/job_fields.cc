#include "cli/job_fields.h"
#include "cli/time_text.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include "common/job.h"
#include "common/units.h"

namespace drover::cli {
namespace {

JobState FromProto(v1::JobState s) {
  switch (s) {
    case v1::JOB_STATE_RUNNING: return JobState::kRunning;
    case v1::JOB_STATE_COMPLETED: return JobState::kCompleted;
    case v1::JOB_STATE_FAILED: return JobState::kFailed;
    case v1::JOB_STATE_CANCELLED: return JobState::kCancelled;
    case v1::JOB_STATE_TIMEOUT: return JobState::kTimeout;
    case v1::JOB_STATE_NODE_FAIL: return JobState::kNodeFail;
    case v1::JOB_STATE_OUT_OF_MEMORY: return JobState::kOutOfMemory;
    default: return JobState::kPending;
  }
}

int64_t Elapsed(const v1::JobInfo& job, int64_t now) {
  if (job.start_time() == 0 || job.state() == v1::JOB_STATE_PENDING) return 0;
  const int64_t end = job.end_time() ? job.end_time() : now;
  return end > job.start_time() ? end - job.start_time() : 0;
}

}  // namespace

std::string JobIdText(const v1::JobInfo& job) {
  if (!job.array_job_id()) return std::to_string(job.job_id());
  const std::string array = std::to_string(job.array_job_id());
  if (!job.array_pending().empty()) return array + "_[" + job.array_pending() + "]";
  return array + "_" + std::to_string(job.array_task_id());
}

bool PendingRecordHas(const v1::JobInfo& job, uint64_t array_id, uint64_t index) {
  if (job.array_job_id() != array_id || job.array_pending().empty()) return false;
  const std::string& ranges = job.array_pending();
  const std::string_view list = std::string_view(ranges).substr(0, ranges.find('%'));
  size_t start = 0;
  while (start < list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    const std::string item(list.substr(start, comma - start));
    start = comma + 1;
    const auto dash = item.find('-');
    try {
      const uint64_t lo = std::stoull(item.substr(0, dash));
      const uint64_t hi = dash == std::string::npos ? lo : std::stoull(item.substr(dash + 1));
      if (index >= lo && index <= hi) return true;
    } catch (const std::exception&) {
      return false;
    }
  }
  return false;
}

bool NamedBy(const v1::JobInfo& job, std::string_view id_text) {
  const size_t underscore = id_text.find('_');
  const std::string id(id_text.substr(0, underscore));
  if (underscore == std::string_view::npos) {
    return id == std::to_string(job.job_id()) || (job.array_job_id() && id == std::to_string(job.array_job_id()));
  }
  if (id_text == JobIdText(job)) return true;
  const std::string task(id_text.substr(underscore + 1));
  if (task.empty() || !std::all_of(task.begin(), task.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  if (id.empty() || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  try {
    const uint64_t array = std::stoull(id), index = std::stoull(task);
    if (job.array_pending().empty()) return job.array_job_id() == array && job.array_task_id() == index;
    return PendingRecordHas(job, array, index);
  } catch (const std::exception&) {
    return false;
  }
}

std::string SqueueField(const v1::JobInfo& job, char code, int64_t now) {
  const JobState state = FromProto(job.state());
  switch (code) {
    case 'i': return JobIdText(job);
    case 'A': return std::to_string(job.job_id());
    case 'F': return std::to_string(job.array_job_id() ? job.array_job_id() : job.job_id());
    case 'K':
      if (!job.array_job_id()) return "N/A";
      return job.array_pending().empty() ? std::to_string(job.array_task_id()) : job.array_pending();
    case 'a': return job.spec().account().empty() ? "(null)" : job.spec().account();
    case 'j': return job.spec().name();
    case 'u': return job.user();
    case 'U': return std::to_string(job.uid());
    case 'G': return std::to_string(job.gid());
    case 't': return std::string(JobStateCode(state));
    case 'T': return std::string(JobStateName(state));
    case 'M': return FormatDuration(Elapsed(job, now));
    case 'l': return job.time_limit_minutes() ? FormatTimeLimit(job.time_limit_minutes()) : "UNLIMITED";
    case 'L': {
      if (job.time_limit_minutes() == 0) return "UNLIMITED";
      const int64_t left = int64_t{job.time_limit_minutes()} * 60 - Elapsed(job, now);
      return FormatDuration(left > 0 ? left : 0);
    }
    case 'D': {
      const int n = job.allocation_size() ? job.allocation_size() : static_cast<int>(std::max<uint32_t>(job.spec().min_nodes(), 1));
      return std::to_string(n ? n : 1);
    }
    case 'C': return std::to_string(job.cpus());
    case 'c': return std::to_string(job.spec().cpus_per_task() ? job.spec().cpus_per_task() : 1);
    case 'm': {
      if (job.spec().mem_per_node_mb()) return std::to_string(job.spec().mem_per_node_mb()) + "M";
      if (job.spec().mem_per_cpu_mb()) return std::to_string(job.spec().mem_per_cpu_mb()) + "M";
      return "0";
    }
    case 'N': return job.node_list();
    case 'B': return job.allocation_size() ? job.allocation(0).node() : "n/a";
    case 'P': return job.partition();
    case 'r': return job.reason();
    case 'R': {
      if (state == JobState::kPending) return "(" + job.reason() + ")";
      if (IsFinished(state) && job.reason() != "None" && !job.reason().empty()) {
        return "(" + job.reason() + ")";
      }
      return job.node_list();
    }
    // A pending job's expected start (the scheduler's reservation), as squeue --start shows it.
    case 'S': return FormatTimestamp(state == JobState::kPending ? job.expected_start() : job.start_time());
    case 'Y': return "(null)";  // the nodes a pending job is expected to get: not reported
    case 'V': return FormatTimestamp(job.submit_time());
    case 'e': return FormatTimestamp(job.end_time());
    case 'Z': return job.spec().work_dir();
    case 'k': return job.spec().comment();
    case 'o': return job.spec().name();
    case 'q': return "normal";
    // A job's priority is not in its JobInfo: squeue asks for the pending jobs' priority rows
    // and prints them with PriorityField; without them a job has none to show.
    case 'p':
    case 'Q': return PriorityField(code, 0);
    default: return "";
  }
}

void AppendSqueueField(std::string* out, const v1::JobInfo& job, char code, int64_t now) {
  const auto number = [out](uint64_t n) {
    char buf[24];
    char* end = buf + sizeof buf;
    char* p = end;
    do {
      *--p = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n);
    out->append(p, end);
  };
  switch (code) {
    case 'i':
      if (!job.array_job_id()) return number(job.job_id());
      number(job.array_job_id());
      if (!job.array_pending().empty()) {
        out->append("_[");
        out->append(job.array_pending());
        out->push_back(']');
      } else {
        out->push_back('_');
        number(job.array_task_id());
      }
      return;
    case 'A': return number(job.job_id());
    case 'j': out->append(job.spec().name()); return;
    case 'u': out->append(job.user()); return;
    case 'P': out->append(job.partition()); return;
    case 'r': out->append(job.reason()); return;
    case 'C': return number(job.cpus());
    case 't': out->append(JobStateCode(FromProto(job.state()))); return;
    case 'T': out->append(JobStateName(FromProto(job.state()))); return;
    case 'D':
      return number(job.allocation_size() ? static_cast<uint64_t>(job.allocation_size())
                                          : std::max<uint32_t>(job.spec().min_nodes(), 1));
    case 'R':
      if (job.state() == v1::JOB_STATE_PENDING) {
        out->push_back('(');
        out->append(job.reason());
        out->push_back(')');
        return;
      }
      break;
    case 'M':
      if (Elapsed(job, now) == 0) {
        static const std::string kZero = FormatDuration(0);
        out->append(kZero);
        return;
      }
      break;
    default: break;
  }
  out->append(SqueueField(job, code, now));
}

uint32_t OmittableJobParts(std::string_view codes, bool steps) {
  // The letters SqueueField answers from the brief spec (name, account, comment, min_nodes,
  // cpus_per_task, mem_*) and the rest of JobInfo; %Z (work_dir) needs the whole spec.
  static constexpr std::string_view kBrief = "iAFKajuUGtTMlLDCcmNBPrRSYVekoqpQ";
  uint32_t omit = v1::JOB_INFO_PART_USAGE;
  if (codes.find_first_not_of(kBrief) == std::string_view::npos) omit |= v1::JOB_INFO_PART_SPEC_DETAIL;
  if (!steps) omit |= v1::JOB_INFO_PART_STEPS;
  return omit;
}

std::string PriorityField(char code, int64_t priority) {
  const int64_t p = std::max<int64_t>(priority, 0);
  if (code == 'Q') return std::to_string(p);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%16.14f", static_cast<double>(p) / 4294967295.0);
  return buf;
}

std::string SqueueHeader(char code) {
  static const std::map<char, std::string> kHeaders = {
      {'i', "JOBID"},     {'A', "JOBID"},        {'F', "ARRAY_JOB_ID"},   {'K', "ARRAY_TASK_ID"},
      {'a', "ACCOUNT"},   {'j', "NAME"},         {'u', "USER"},           {'U', "UID"},
      {'G', "GID"},       {'t', "ST"},           {'T', "STATE"},          {'M', "TIME"},
      {'l', "TIME_LIMIT"}, {'L', "TIME_LEFT"},   {'D', "NODES"},          {'C', "CPUS"},
      {'c', "MIN_CPUS"},  {'m', "MIN_MEMORY"},   {'N', "NODELIST"},       {'B', "EXEC_HOST"},
      {'P', "PARTITION"}, {'r', "REASON"},       {'R', "NODELIST(REASON)"}, {'S', "START_TIME"},
      {'V', "SUBMIT_TIME"}, {'e', "END_TIME"},   {'Z', "WORK_DIR"},       {'k', "COMMENT"},
      {'o', "COMMAND"},   {'q', "QOS"},          {'p', "PRIORITY"},       {'Q', "PRIORITY"},
      {'Y', "SCHEDNODES"},
  };
  auto it = kHeaders.find(code);
  return it == kHeaders.end() ? std::string(1, code) : it->second;
}

}  // namespace drover::cli
