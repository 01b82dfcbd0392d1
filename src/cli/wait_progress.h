// submit --wait: a job's way through its states as lines to show. Pure: the job comes from
// the controller, `now` is passed in, times print in local time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drover/v1/drover.pb.h"

namespace drover::cli {

struct JobEvent {
  v1::JobState state = v1::JOB_STATE_UNSPECIFIED;
  int64_t time = 0;    // Unix seconds the controller recorded for it
  std::string detail;  // pending: the reason; running: the nodes; ended: the exit code
  bool operator==(const JobEvent&) const = default;
};

// PENDING at the submit time, RUNNING at the start time (once started), and the final state
// at the end time (once ended).
std::vector<JobEvent> JobEvents(const v1::JobInfo& job);

// One line per change, for a log: "job 12: RUNNING at 14:03:07 on node1".
std::string EventLine(const std::string& job_id, const JobEvent& event);

// The whole way so far on one line, for a terminal:
// "job 12: PENDING 14:03:05 -> RUNNING 14:03:07 on node1 (0:05)".
std::string ProgressLine(const std::string& job_id, const std::vector<JobEvent>& events, int64_t now);

// A job array on one line: "array 12: 2 PENDING, 3 RUNNING, 5 COMPLETED" (states in order).
std::string ArraySummary(const std::string& array_id, const std::vector<v1::JobInfo>& elements);

}  // namespace drover::cli
