#include "noded/job_confinement.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "noded/admin_script.h"
#include "noded/batch_env.h"

namespace drover::noded {
JobConfinement::JobConfinement(const StepdOptions& options, const v1::LaunchJobRequest& launch,
                               std::unique_ptr<CgroupManager> cgroups)
    : options_(options), launch_(launch), cgroups_(std::move(cgroups)) {}

std::optional<JobResult> JobConfinement::Prepare() {
  if (!options_.prolog.empty()) {
    const Environment job_env = BuildBatchEnvironment(launch_, options_.node);
    Status s = RunAdminScript("prolog", options_.prolog, AdminScriptEnvironment(job_env, "prolog_slurmd"),
                              options_.prolog_timeout_s);
    if (!s.ok()) {
      std::cerr << "drover-stepd: " << s.message() << std::endl;
      return NodeFailureResult("Prolog failed on " + options_.node + ": " + s.message());
    }
  }
  if (cgroups_ == nullptr) return std::nullopt;
  const CgroupSupport support = cgroups_->Support();
  if (support.version == 0) {
    std::cerr << "drover-stepd: job not confined: cgroups " << support.Describe() << std::endl;
    cgroups_.reset();
    return std::nullopt;
  }
  CgroupLimits limits;
  for (const auto& a : launch_.allocation()) {
    if (a.node() != options_.node) continue;
    limits.cpus.assign(a.core_ids().begin(), a.core_ids().end());
    limits.memory_bytes = a.memory_mb() << 20;
  }
  limits.pids_max = options_.pids_limit;
  memory_limit_bytes_ = limits.memory_bytes;
  auto notes = cgroups_->Create(launch_.job_id(), limits);
  if (!notes.ok()) {
    std::cerr << "drover-stepd: " << notes.status().message() << std::endl;
    RemoveCgroup();
    return NodeFailureResult("cannot set up the job's cgroup on " + options_.node + ": " + notes.status().message());
  }
  for (const auto& n : *notes) std::cerr << "drover-stepd: " << n << std::endl;
  if (!support.Has("memory")) memory_limit_bytes_ = 0;
  return std::nullopt;
}

bool JobConfinement::TaskCanJoinItself() const {
  return cgroups_ == nullptr || !cgroups_->SelfJoinFiles(launch_.job_id()).empty();
}

std::vector<std::string> JobConfinement::SelfJoinFiles() const {
  return cgroups_ ? cgroups_->SelfJoinFiles(launch_.job_id()) : std::vector<std::string>{};
}

Status JobConfinement::Adopt(pid_t pid) {
  if (cgroups_ == nullptr) return Status::Ok();
  return cgroups_->AddProcess(launch_.job_id(), pid);
}

size_t JobConfinement::Signal(int sig) { return cgroups_ ? cgroups_->Signal(launch_.job_id(), sig) : 0; }

bool JobConfinement::Empty() const { return cgroups_ == nullptr || cgroups_->Processes(launch_.job_id()).empty(); }

void JobConfinement::KillAll() {
  if (cgroups_ == nullptr) return;
  if (Status s = cgroups_->KillAll(launch_.job_id()); !s.ok()) {
    std::cerr << "drover-stepd: " << s.message() << std::endl;
  }
}

void JobConfinement::RemoveCgroup() {
  if (cgroups_ == nullptr) return;
  const uint64_t id = launch_.job_id();
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
    std::cerr << "drover-stepd: " << s.message() << " (noded removes it at its next start)" << std::endl;
  }
}

JobResult JobConfinement::Finish(EndCause cause, int wait_status) {
  CgroupUsage usage;
  if (cgroups_) usage = cgroups_->Usage(launch_.job_id());
  JobResult result = DecideOutcome(cause, wait_status, usage, memory_limit_bytes_);
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  const auto ms = [](const timeval& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1000 + static_cast<uint64_t>(t.tv_usec) / 1000;
  };
  FillUsage(result, usage, ms(ru.ru_utime) + ms(ru.ru_stime), static_cast<uint64_t>(ru.ru_maxrss));
  RemoveCgroup();
  if (!options_.epilog.empty()) {
    const Environment job_env = BuildBatchEnvironment(launch_, options_.node);
    Status s = RunAdminScript("epilog", options_.epilog, AdminScriptEnvironment(job_env, "epilog_slurmd"),
                              options_.prolog_timeout_s);
    if (!s.ok()) {
      std::cerr << "drover-stepd: " << s.message() << std::endl;
      result.drain_reason = "Epilog failed on " + options_.node + ": " + s.message();
    }
  }
  return result;
}

}  // namespace drover::noded
