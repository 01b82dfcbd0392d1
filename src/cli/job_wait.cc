#include "cli/job_wait.h"

#include <ctime>
#include <iostream>

#include "cli/exit_codes.h"
#include "cli/terminal.h"
#include "cli/wait_progress.h"

namespace drover::cli {

int WaitForJob(ControllerClient& client, const std::string& prog, uint64_t id) {
  const bool native = IsNative(prog);
  const bool one_line = native && IsTerminal(2);
  const std::string id_text = std::to_string(id);
  std::vector<JobEvent> shown;
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
    const auto& job = jobs[0];
    const bool ended = job.state() != v1::JOB_STATE_PENDING && job.state() != v1::JOB_STATE_RUNNING;
    if (native) {
      const auto events = JobEvents(job);
      if (one_line) {
        std::cerr << "\r\033[K" << ProgressLine(id_text, events, time(nullptr)) << (ended ? "\n" : "") << std::flush;
      } else {
        // Only what changed: a requeued job shows its second PENDING and RUNNING again.
        size_t same = 0;
        while (same < shown.size() && same < events.size() && shown[same].state == events[same].state &&
               shown[same].time == events[same].time) {
          ++same;
        }
        const bool new_reason = same == events.size() && same == shown.size() && same > 0 &&
                                events.back().state == v1::JOB_STATE_PENDING &&
                                events.back().detail != shown.back().detail && !events.back().detail.empty();
        if (new_reason) --same;
        for (size_t i = same; i < events.size(); ++i) std::cerr << EventLine(id_text, events[i]) << "\n";
        std::cerr << std::flush;
      }
      shown = events;
    }
    if (ended) {
      if (native) return JobExitCode(job);
      if (job.state() == v1::JOB_STATE_COMPLETED) return 0;
      return job.exit_code() ? job.exit_code() : 1;
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
