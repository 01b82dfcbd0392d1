// salloc / drover alloc: get an interactive allocation, run a command in it (default: the
// user's shell) with SLURM_JOB_ID and friends set, so that srun inside makes steps of it; the
// allocation ends with the command.
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/run_options.h"
#include "common/job.h"

extern char** environ;

namespace drover::cli {
namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string Cwd() {
  char buf[PATH_MAX];
  return getcwd(buf, sizeof buf) ? std::string(buf) : std::string("/");
}

std::string UserShell() {
  if (const char* s = std::getenv("SHELL"); s != nullptr && *s) return s;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_shell && *pw->pw_shell) return pw->pw_shell;
  return "/bin/sh";
}

void Complete(ControllerClient& client, uint64_t id, int status) {
  v1::Body body;
  body.mutable_complete_job()->set_job_id(id);
  body.mutable_complete_job()->set_exit_code(status > 128 ? 0 : status);
  body.mutable_complete_job()->set_exit_signal(status > 128 ? status - 128 : 0);
  (void)client.Call(body);
}

}  // namespace

int RunSalloc(const std::string& prog, const Args& args) {
  auto opts = ParseRunOptions(prog, args, [](const std::string& name) -> std::optional<std::string> {
    // An allocation of its own: the enclosing job's sizes are no defaults for it.
    if (name.rfind("SLURM_", 0) == 0 || name.rfind("DROVER_", 0) == 0) return std::nullopt;
    return GetEnv(name);
  }, true);
  if (!opts.ok()) {
    std::cerr << prog << ": error: " << opts.status().message() << "\n";
    return 1;
  }
  if (opts->help) {
    std::cout << opts->help_text;
    return 0;
  }
  opts->job_id.reset();
  char host[HOST_NAME_MAX + 1] = {};
  gethostname(host, sizeof host - 1);
  auto spec = BuildAllocationSpec(*opts, Cwd(), host, false);
  if (!spec.ok()) return ReportError(prog, spec.status());
  if (opts->command.empty()) spec->set_name("interactive");
  auto client_or = ControllerClient::Connect(opts->config);
  if (!client_or.ok()) return ReportError(prog, client_or.status());
  ControllerClient& client = **client_or;

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);

  v1::Body submit;
  *submit.mutable_submit_job()->mutable_spec() = *spec;
  auto reply = client.Call(submit);
  if (!reply.ok()) return ReportError(prog, Status(reply.status().code(), "Job submit/allocate failed: " + reply.status().message()));
  const uint64_t id = reply->submit_job_response().job_id();
  if (!opts->quiet) std::cerr << prog << ": Pending job allocation " << id << std::endl;

  // Wait until it runs: the job's row tells where.
  v1::JobInfo job;
  bool said_waiting = false;
  for (;;) {
    v1::Body q;
    q.mutable_query_jobs()->add_job_ids(id);
    auto r = client.Call(q);
    if (!r.ok()) return ReportError(prog, r.status());
    if (r->query_jobs_response().jobs().empty()) return ReportError(prog, Status::NotFound("the allocation vanished"));
    job = r->query_jobs_response().jobs(0);
    if (job.state() == v1::JOB_STATE_RUNNING) break;
    if (job.state() != v1::JOB_STATE_PENDING) {
      std::cerr << prog << ": error: Job allocation " << id << " ended before it started ("
                << v1::JobState_Name(job.state()).substr(10) << ")\n";
      return 1;
    }
    if (g_stop) {
      Complete(client, id, 1);
      std::cerr << prog << ": Job allocation " << id << " has been revoked." << std::endl;
      return 1;
    }
    if (!said_waiting && !opts->quiet) {
      std::cerr << prog << ": job " << id << " queued and waiting for resources" << std::endl;
      said_waiting = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (!opts->quiet) std::cerr << prog << ": Granted job allocation " << id << std::endl;

  std::vector<uint32_t> cpus, tasks;
  for (const auto& a : job.allocation()) {
    cpus.push_back(a.cpus());
    tasks.push_back(job.spec().ntasks() ? a.tasks() : a.cpus() / std::max<uint32_t>(job.spec().cpus_per_task(), 1));
  }
  const std::string sid = std::to_string(id);
  const std::string nnodes = std::to_string(job.allocation_size());
  std::vector<std::pair<std::string, std::string>> vars = {
      {"SLURM_JOB_ID", sid},
      {"SLURM_JOBID", sid},
      {"SLURM_JOB_NAME", job.spec().name()},
      {"SLURM_JOB_NODELIST", job.node_list()},
      {"SLURM_NODELIST", job.node_list()},
      {"SLURM_JOB_NUM_NODES", nnodes},
      {"SLURM_NNODES", nnodes},
      {"SLURM_TASKS_PER_NODE", CompressCounts(tasks)},
      {"SLURM_JOB_CPUS_PER_NODE", CompressCounts(cpus)},
      {"SLURM_JOB_PARTITION", job.partition()},
      {"SLURM_SUBMIT_DIR", Cwd()},
      {"SLURM_SUBMIT_HOST", host},
  };
  if (job.spec().ntasks()) {
    vars.emplace_back("SLURM_NTASKS", std::to_string(job.spec().ntasks()));
    vars.emplace_back("SLURM_NPROCS", std::to_string(job.spec().ntasks()));
  }
  if (job.spec().cpus_per_task()) vars.emplace_back("SLURM_CPUS_PER_TASK", std::to_string(job.spec().cpus_per_task()));
  for (const auto& [k, v] : vars) {
    setenv(k.c_str(), v.c_str(), 1);
    setenv(("DROVER_" + k.substr(6)).c_str(), v.c_str(), 1);
  }

  std::vector<std::string> command = opts->command;
  if (command.empty()) command = {UserShell()};
  const pid_t child = fork();
  if (child < 0) {
    Complete(client, id, 1);
    return ReportError(prog, Status::Internal("fork failed"));
  }
  if (child == 0) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, SIG_DFL);
    std::vector<char*> argv;
    for (auto& a : command) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::cerr << prog << ": error: cannot run " << command[0] << ": " << std::strerror(errno) << "\n";
    _exit(127);
  }
  // The shell gets the terminal's signals itself; salloc just waits for it (Ctrl-C in an
  // interactive shell must not end the allocation).
  for (int sig : {SIGINT, SIGQUIT}) signal(sig, SIG_IGN);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    if (g_stop) kill(child, SIGHUP);
  }
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (!opts->quiet) std::cerr << prog << ": Relinquishing job allocation " << id << std::endl;
  Complete(client, id, rc);
  return rc;
}

}  // namespace drover::cli
