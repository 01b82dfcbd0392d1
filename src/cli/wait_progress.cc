#include "cli/wait_progress.h"

#include <ctime>

#include "cli/time_text.h"
#include "common/units.h"

namespace drover::cli {
namespace {

std::string StateName(v1::JobState s) {
  const std::string name = v1::JobState_Name(s);
  return name.rfind("JOB_STATE_", 0) == 0 ? name.substr(10) : name;
}

std::string Clock(int64_t unix_seconds) { return FormatClock(unix_seconds); }

bool Ended(v1::JobState s) {
  return s != v1::JOB_STATE_PENDING && s != v1::JOB_STATE_RUNNING && s != v1::JOB_STATE_UNSPECIFIED;
}

std::string EndDetail(const v1::JobInfo& job) {
  if (job.exit_signal() > 0) return "signal " + std::to_string(job.exit_signal());
  return "exit code " + std::to_string(job.exit_code());
}

}  // namespace

std::vector<JobEvent> JobEvents(const v1::JobInfo& job) {
  std::vector<JobEvent> events;
  const bool pending = job.state() == v1::JOB_STATE_PENDING;
  events.push_back({v1::JOB_STATE_PENDING, job.submit_time(), pending ? job.reason() : std::string()});
  if (!pending && job.start_time() != 0) {
    events.push_back({v1::JOB_STATE_RUNNING, job.start_time(), job.node_list()});
  }
  if (Ended(job.state())) events.push_back({job.state(), job.end_time(), EndDetail(job)});
  return events;
}

std::string EventLine(const std::string& job_id, const JobEvent& e) {
  std::string line = "job " + job_id + ": " + StateName(e.state) + " at " + Clock(e.time);
  if (e.detail.empty()) return line;
  if (e.state == v1::JOB_STATE_PENDING) return line + " (" + e.detail + ")";
  if (e.state == v1::JOB_STATE_RUNNING) return line + " on " + e.detail;
  return line + ", " + e.detail;
}

std::string ProgressLine(const std::string& job_id, const std::vector<JobEvent>& events, int64_t now) {
  std::string line = "job " + job_id + ":";
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    line += (i == 0 ? " " : " -> ") + StateName(e.state) + " " + Clock(e.time);
    const bool current = i + 1 == events.size();
    if (e.state == v1::JOB_STATE_PENDING && current && !e.detail.empty()) line += " (" + e.detail + ")";
    if (e.state == v1::JOB_STATE_RUNNING) {
      if (!e.detail.empty()) line += " on " + e.detail;
      if (current && now > e.time) line += " (" + FormatDuration(now - e.time) + ")";
    }
    if (Ended(e.state)) line += ", " + e.detail;
  }
  return line;
}

std::string ArraySummary(const std::string& array_id, const std::vector<v1::JobInfo>& elements) {
  std::string line = "array " + array_id + ":";
  bool first = true;
  for (int s = v1::JOB_STATE_PENDING; s <= v1::JOB_STATE_OUT_OF_MEMORY; ++s) {
    int n = 0;
    for (const auto& e : elements) n += e.state() == s;
    if (n == 0) continue;
    line += (first ? " " : ", ") + std::to_string(n) + " " + StateName(static_cast<v1::JobState>(s));
    first = false;
  }
  return line;
}

}  // namespace drover::cli
