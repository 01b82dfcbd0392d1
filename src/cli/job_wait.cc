#include "cli/job_wait.h"

#include <algorithm>
#include <ctime>
#include <iostream>
#include <map>

#include "cli/exit_codes.h"
#include "cli/job_fields.h"
#include "cli/terminal.h"
#include "cli/wait_progress.h"

namespace drover::cli {

int WaitForJob(ControllerClient& client, const std::string& prog, uint64_t id) {
  const bool native = IsNative(prog);
  const bool one_line = native && IsTerminal(2);
  const std::string id_text = std::to_string(id);
  // Per job (an array has one per element, and one for its not-started remainder).
  std::map<std::string, std::vector<JobEvent>> shown;
  CatchInterrupts();
  for (int polls = 0;; ++polls) {
    v1::Body body;
    body.mutable_query_jobs()->add_job_ids(id);
    body.mutable_query_jobs()->set_include_finished(true);
    auto reply = client.Call(body);
    if (!reply.ok()) {
      if (one_line && !shown.empty()) std::cerr << "\n";
      return ReportError(prog, reply.status());
    }
    const auto& jobs = reply->query_jobs_response().jobs();
    if (jobs.empty()) {
      if (one_line && !shown.empty()) std::cerr << "\n";
      return ReportError(prog, Status::NotFound("job " + id_text + " is no longer known to the controller"));
    }
    const bool array = jobs.size() > 1 || jobs[0].array_job_id() != 0;
    bool ended = true;
    for (const auto& job : jobs) {
      ended = ended && job.state() != v1::JOB_STATE_PENDING && job.state() != v1::JOB_STATE_RUNNING;
    }
    if (native && one_line) {
      const std::string line = array ? ArraySummary(id_text, {jobs.begin(), jobs.end()})
                                     : ProgressLine(id_text, JobEvents(jobs[0]), time(nullptr));
      std::cerr << "\r\033[K" << line << (ended ? "\n" : "") << std::flush;
      shown[id_text] = {};
    } else if (native) {
      for (const auto& job : jobs) {
        const std::string name = JobIdText(job);
        const auto events = JobEvents(job);
        auto& seen = shown[name];
        // Only what changed; a new pending reason counts as a change.
        size_t same = 0;
        while (same < seen.size() && same < events.size() && seen[same].state == events[same].state &&
               seen[same].time == events[same].time) {
          ++same;
        }
        const bool new_reason = same == events.size() && same == seen.size() && same > 0 &&
                                events.back().state == v1::JOB_STATE_PENDING &&
                                events.back().detail != seen.back().detail && !events.back().detail.empty();
        if (new_reason) --same;
        for (size_t i = same; i < events.size(); ++i) std::cerr << EventLine(name, events[i]) << "\n";
        seen = events;
      }
      std::cerr << std::flush;
    }
    if (ended) {
      // An array exits with the highest status of its elements (as Slurm's sbatch --wait).
      int rc = 0;
      for (const auto& job : jobs) {
        int code = 0;
        if (native) {
          code = JobExitCode(job);
        } else if (job.state() != v1::JOB_STATE_COMPLETED) {
          code = job.exit_code() ? job.exit_code() : 1;
        }
        rc = std::max(rc, code);
      }
      return rc;
    }
    // Quick at first (short jobs), then every two seconds.
    if (!SleepUnlessInterrupted(polls < 20 ? 0.5 : 2.0)) {
      if (one_line) std::cerr << "\n";
      std::cerr << prog << ": stopped waiting; job " << id_text << " goes on (cancel it with "
                << (native ? "drover cancel " : "scancel ") << id_text << ")\n";
      return kExitInterrupted;
    }
  }
}

}  // namespace drover::cli
