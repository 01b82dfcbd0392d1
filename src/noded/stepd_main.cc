// drover-stepd: supervises one job's batch script on a node.
//
// noded starts it with the job directory (spool.h). It runs the script as the job's user,
// enforces the time limit, turns SIGTERM (cancel) into the end of every process the job
// started, and leaves the outcome in <jobdir>/result. It does not depend on noded staying
// alive: noded may restart and find the result (or the still-running stepd) in the spool.
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "common/filename_pattern.h"
#include "drover/v1/drover.pb.h"
#include "noded/batch_env.h"
#include "noded/process_tree.h"
#include "noded/spool.h"

namespace {

using drover::JobState;
using drover::noded::JobResult;

struct Options {
  std::string job_dir;
  std::string spool;
  std::string node;
  int kill_wait_s = 10;
};

[[noreturn]] void ChildFail(const std::string& what) {
  const std::string msg = "drover-stepd: " + what + ": " + std::strerror(errno) + "\n";
  (void)!write(STDERR_FILENO, msg.data(), msg.size());
  _exit(127);
}

std::string OutputPath(const std::string& pattern, const std::string& work_dir,
                       const drover::FilenameContext& ctx) {
  std::string path = drover::ExpandFilenamePattern(pattern, ctx);
  if (!path.empty() && path[0] != '/') path = work_dir + "/" + path;
  return path;
}

// Runs in the forked child: becomes the user, sets up I/O, executes the script.
[[noreturn]] void RunScript(const Options& opt, const drover::v1::LaunchJobRequest& launch) {
  setsid();
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGPIPE, SIGHUP}) signal(sig, SIG_DFL);

  if (geteuid() == 0 && launch.uid() != 0) {
    std::vector<gid_t> groups(launch.groups().begin(), launch.groups().end());
    if (setgroups(groups.size(), groups.data()) != 0) ChildFail("setgroups");
    if (setgid(launch.gid()) != 0) ChildFail("setgid");
    if (setuid(launch.uid()) != 0) ChildFail("setuid");
  }
  umask(022);

  const auto& spec = launch.spec();
  std::string work_dir = spec.work_dir();
  if (chdir(work_dir.c_str()) != 0) {
    work_dir = "/tmp";
    if (chdir(work_dir.c_str()) != 0) ChildFail("chdir /tmp");
  }
  drover::FilenameContext ctx;
  ctx.job_id = launch.job_id();
  ctx.step = "batch";
  ctx.node_name = opt.node;
  ctx.user = launch.user();
  ctx.job_name = spec.name();
  const std::string out_pattern = spec.stdout_pattern().empty() ? "slurm-%j.out" : spec.stdout_pattern();
  const std::string err_pattern = spec.stderr_pattern().empty() ? out_pattern : spec.stderr_pattern();
  const std::string out_path = OutputPath(out_pattern, work_dir, ctx);
  const std::string err_path = OutputPath(err_pattern, work_dir, ctx);

  int in = open("/dev/null", O_RDONLY);
  if (in < 0 || dup2(in, STDIN_FILENO) < 0) ChildFail("open /dev/null");
  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) ChildFail("open " + out_path);
  int err = out;
  if (err_path != out_path) {
    err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err < 0) ChildFail("open " + err_path);
  }
  dup2(out, STDOUT_FILENO);
  dup2(err, STDERR_FILENO);
  if (chdir(spec.work_dir().c_str()) != 0) {
    std::cerr << "drover-stepd: could not chdir to " << spec.work_dir() << ": "
              << std::strerror(errno) << "; running in /tmp instead" << std::endl;
  }

  const std::string script = drover::noded::ScriptPath(opt.spool, launch.job_id());
  std::vector<std::string> args{script};
  for (const auto& a : spec.script_args()) args.push_back(a);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto env_strings = drover::noded::ToEnvp(drover::noded::BuildBatchEnvironment(launch, opt.node));
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  execve(script.c_str(), argv.data(), envp.data());
  ChildFail("cannot execute the batch script");
}

// Sends SIGTERM to the job, waits up to kill_wait for it to go, then SIGKILLs whatever is left
// until nothing is: cancel and timeout must never leave a process behind.
void TerminateAll(pid_t task, int kill_wait_s) {
  kill(-task, SIGTERM);
  drover::noded::SignalDescendants(getpid(), SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kill_wait_s);
  while (std::chrono::steady_clock::now() < deadline) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (drover::noded::Descendants(getpid()).empty()) return;
    usleep(50'000);
  }
  for (int round = 0; round < 100; ++round) {
    kill(-task, SIGKILL);
    if (drover::noded::SignalDescendants(getpid(), SIGKILL) == 0) break;
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    usleep(10'000);
  }
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

int Supervise(const Options& opt, const drover::v1::LaunchJobRequest& launch) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGHUP}) sigaddset(&mask, sig);
  sigprocmask(SIG_BLOCK, &mask, nullptr);

  (void)drover::noded::WriteFileAtomic(opt.job_dir + "/stepd.pid", std::to_string(getpid()) + "\n", 0600);
  const pid_t task = fork();
  if (task < 0) {
    JobResult r{JobState::kFailed, 1, 0, std::string("fork failed: ") + std::strerror(errno)};
    (void)drover::noded::WriteFileAtomic(opt.job_dir + "/result", drover::noded::EncodeResult(r), 0600);
    return 1;
  }
  if (task == 0) RunScript(opt, launch);
  (void)drover::noded::WriteFileAtomic(opt.job_dir + "/task.pid", std::to_string(task) + "\n", 0600);

  const auto start = std::chrono::steady_clock::now();
  const bool limited = launch.time_limit_minutes() != 0;
  const auto deadline = start + std::chrono::minutes(launch.time_limit_minutes());
  JobResult result;
  bool ended_by_us = false;
  int status = 0;
  for (;;) {
    timespec tick{0, 200'000'000};
    siginfo_t info;
    const int sig = sigtimedwait(&mask, &info, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      result = {JobState::kCancelled, 0, SIGTERM, "cancelled"};
      ended_by_us = true;
      TerminateAll(task, opt.kill_wait_s);
      break;
    }
    if (limited && std::chrono::steady_clock::now() >= deadline) {
      result = {JobState::kTimeout, 0, SIGTERM, "time limit reached"};
      ended_by_us = true;
      TerminateAll(task, opt.kill_wait_s);
      break;
    }
    pid_t p;
    bool done = false;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p == task) done = true;
    }
    if (done) break;
  }
  if (!ended_by_us) {
    if (WIFEXITED(status)) {
      const int code = WEXITSTATUS(status);
      result = {code == 0 ? JobState::kCompleted : JobState::kFailed, code, 0, ""};
      if (code == 127) result.reason = "the batch script could not be started (see its error file)";
    } else if (WIFSIGNALED(status)) {
      result = {JobState::kFailed, 0, WTERMSIG(status), "killed by signal"};
    }
    // The script is over; anything it left running goes with it, as in Slurm.
    TerminateAll(task, 0);
  }
  if (auto s = drover::noded::WriteFileAtomic(opt.job_dir + "/result",
                                              drover::noded::EncodeResult(result), 0600);
      !s.ok()) {
    std::cerr << "drover-stepd: " << s.message() << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--node" && i + 1 < argc) {
      opt.node = argv[++i];
    } else if (a == "--kill-wait" && i + 1 < argc) {
      opt.kill_wait_s = std::atoi(argv[++i]);
    } else if (a == "--spool" && i + 1 < argc) {
      opt.spool = argv[++i];
    } else if (opt.job_dir.empty() && !a.empty() && a[0] != '-') {
      opt.job_dir = a;
    } else {
      std::cerr << "usage: drover-stepd --node NAME --spool DIR [--kill-wait SECONDS] JOBDIR\n"
                   "  (started by drover-noded; not meant to be run by hand)\n";
      return 2;
    }
  }
  if (opt.job_dir.empty() || opt.node.empty() || opt.spool.empty()) {
    std::cerr << "drover-stepd: --node, --spool and JOBDIR are required\n";
    return 2;
  }
  auto data = drover::noded::ReadWholeFile(opt.job_dir + "/launch.pb");
  drover::v1::LaunchJobRequest launch;
  if (!data.ok() || !launch.ParseFromString(*data)) {
    std::cerr << "drover-stepd: cannot read " << opt.job_dir << "/launch.pb\n";
    return 1;
  }
  return Supervise(opt, launch);
}
