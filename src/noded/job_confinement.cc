#include "noded/job_confinement.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "noded/admin_script.h"
#include "noded/stepd_note.h"

namespace drover::noded {
JobConfinement::JobConfinement(const StepdOptions& options, const BatchPlan& plan,
                               std::unique_ptr<CgroupManager> cgroups)
    : options_(options), plan_(plan), cgroups_(std::move(cgroups)) {}

std::optional<JobResult> JobConfinement::Prepare() {
  if (!options_.prolog.empty()) {
    Status s = RunAdminScript("prolog", options_.prolog, AdminScriptEnvp(plan_.env, "prolog_slurmd"),
                              options_.prolog_timeout_s);
    if (!s.ok()) {
      StepdNote(s.message());
      return NodeFailureResult("Prolog failed on " + options_.node + ": " + s.message());
    }
  }
  if (cgroups_ == nullptr) return std::nullopt;
  const CgroupSupport support = cgroups_->Support();
  if (support.version == 0) {
    StepdNote("job not confined: cgroups " + support.Describe());
    cgroups_.reset();
    return std::nullopt;
  }
  CgroupLimits limits;
  limits.cpus = plan_.cpus;
  limits.memory_bytes = plan_.memory_bytes;
  limits.pids_max = options_.pids_limit;
  memory_limit_bytes_ = limits.memory_bytes;
  auto notes = cgroups_->Create(plan_.job_id, limits);
  if (!notes.ok()) {
    StepdNote(notes.status().message());
    RemoveCgroup();
    return NodeFailureResult("cannot set up the job's cgroup on " + options_.node + ": " + notes.status().message());
  }
  for (const auto& n : *notes) StepdNote(n);
  if (!support.Has("memory")) memory_limit_bytes_ = 0;
  return std::nullopt;
}

bool JobConfinement::TaskCanJoinItself() const {
  return cgroups_ == nullptr || !cgroups_->SelfJoinFiles(plan_.job_id).empty();
}

std::vector<std::string> JobConfinement::SelfJoinFiles() const {
  return cgroups_ ? cgroups_->SelfJoinFiles(plan_.job_id) : std::vector<std::string>{};
}

Status JobConfinement::Adopt(pid_t pid) {
  if (cgroups_ == nullptr) return Status::Ok();
  return cgroups_->AddProcess(plan_.job_id, pid);
}

size_t JobConfinement::Signal(int sig) { return cgroups_ ? cgroups_->Signal(plan_.job_id, sig) : 0; }

bool JobConfinement::Empty() const { return cgroups_ == nullptr || cgroups_->Processes(plan_.job_id).empty(); }

void JobConfinement::KillAll() {
  if (cgroups_ == nullptr) return;
  if (Status s = cgroups_->KillAll(plan_.job_id); !s.ok()) {
    StepdNote(s.message());
  }
}

void JobConfinement::RemoveCgroup() {
  if (cgroups_ == nullptr) return;
  const uint64_t id = plan_.job_id;
  // Usually empty by now (the job ended and its leftovers were waited for): removed at once,
  // without reading every hierarchy's cgroup.procs first; rmdir refuses a cgroup that still
  // has processes (EBUSY), and then they are killed and waited for as before.
  if (cgroups_->Remove(id).ok()) return;
  // Killed processes leave the cgroup once the kernel has torn them down; give it a moment.
  for (int i = 0; i < 200 && !cgroups_->Processes(id).empty(); ++i) {
    if (i % 20 == 0) (void)cgroups_->KillAll(id);
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (Status s = cgroups_->Remove(id); !s.ok()) {
    StepdNote(s.message() + " (noded removes it at its next start)");
  }
}

JobResult JobConfinement::Finish(EndCause cause, int wait_status) {
  CgroupUsage usage;
  if (cgroups_) usage = cgroups_->Usage(plan_.job_id);
  JobResult result = DecideOutcome(cause, wait_status, usage, memory_limit_bytes_);
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  const auto ms = [](const timeval& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1000 + static_cast<uint64_t>(t.tv_usec) / 1000;
  };
  FillUsage(result, usage, ms(ru.ru_utime) + ms(ru.ru_stime), static_cast<uint64_t>(ru.ru_maxrss));
  RemoveCgroup();
  if (!options_.epilog.empty()) {
    Status s = RunAdminScript("epilog", options_.epilog, AdminScriptEnvp(plan_.env, "epilog_slurmd"),
                              options_.prolog_timeout_s);
    if (!s.ok()) {
      StepdNote(s.message());
      result.drain_reason = "Epilog failed on " + options_.node + ": " + s.message();
    }
  }
  return result;
}

}  // namespace drover::noded
