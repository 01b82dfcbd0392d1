#include "noded/batch_supervisor.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "noded/job_confinement.h"
#include "noded/process_tree.h"
#include "noded/spool.h"
#include "noded/stepd_note.h"

namespace drover::noded {
namespace {

using Options = StepdOptions;

// The child's end of a close-on-exec pipe: what stops the script from starting reaches stepd
// and becomes the job's reason, since the job's error file may be the very thing that failed.
int g_setup_error_fd = -1;

[[noreturn]] void ChildFail(const std::string& what) {
  const std::string why = what + ": " + std::strerror(errno);
  const std::string msg = "drover-stepd: " + why + "\n";
  (void)!write(STDERR_FILENO, msg.data(), msg.size());
  if (g_setup_error_fd >= 0) (void)!write(g_setup_error_fd, why.data(), why.size());
  _exit(127);
}

// Non-blocking: the pipe holds the child's message (or nothing) by the time the task ended.
std::string ReadSetupError(int fd) {
  char buf[1024];
  const ssize_t n = read(fd, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Everything the task needs, computed by stepd before the task starts, so that the task itself
// only makes system calls: started with vfork it shares stepd's memory until it execs. The
// strings are the plan's own (noded expanded the paths and built the environment).
struct TaskPlan {
  std::vector<std::string> join_files;  // cgroup.procs files the task writes "0" into
  bool drop_privileges = false;
  std::vector<gid_t> groups;
  uid_t uid = 0;
  gid_t gid = 0;
  const BatchPlan* batch = nullptr;
  std::string chdir_note;  // said on the job's stderr when it runs in /tmp
  std::vector<char*> argv, envp;
};

TaskPlan PlanTask(const BatchPlan& batch, std::vector<std::string> join_files) {
  TaskPlan plan;
  plan.join_files = std::move(join_files);
  plan.drop_privileges = geteuid() == 0 && batch.uid != 0;
  plan.groups.assign(batch.groups.begin(), batch.groups.end());
  plan.uid = batch.uid;
  plan.gid = batch.gid;
  plan.batch = &batch;
  plan.chdir_note = "drover-stepd: could not chdir to " + batch.work_dir + "; running in /tmp instead\n";
  // execve takes char* const[]; it does not write through them.
  for (const auto& a : batch.args) plan.argv.push_back(const_cast<char*>(a.c_str()));
  plan.argv.push_back(nullptr);
  for (const auto& e : batch.env) plan.envp.push_back(const_cast<char*>(e.c_str()));
  plan.envp.push_back(nullptr);
  return plan;
}

#if defined(__SANITIZE_ADDRESS__)
// ASan cannot follow a task that runs on a stack of its own in stepd's memory (it reports the
// task's _exit as an unknown stack switch), so the sanitizer build keeps the fork.
constexpr bool kVforkTask = false;
#else
constexpr bool kVforkTask = true;
#endif

// Marks a setup error as the node's fault (the job could not be confined), not the job's.
constexpr char kCgroupFailure[] = "cgroup: ";

// The task: joins the job's cgroup (when it can itself), becomes the user, sets up I/O,
// executes the script. Never returns.
[[noreturn]] void ExecTask(const TaskPlan& plan) {
  for (const auto& file : plan.join_files) {
    const int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) {
      const std::string why = std::string(kCgroupFailure) + file + ": " + std::strerror(errno);
      if (g_setup_error_fd >= 0) (void)!write(g_setup_error_fd, why.data(), why.size());
      _exit(127);
    }
    close(fd);
  }
  setsid();
  for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGPIPE, SIGHUP}) signal(sig, SIG_DFL);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);

  if (plan.drop_privileges) {
    if (setgroups(plan.groups.size(), plan.groups.data()) != 0) ChildFail("setgroups");
    if (setgid(plan.gid) != 0) ChildFail("setgid");
    if (setuid(plan.uid) != 0) ChildFail("setuid");
  }
  umask(022);

  const BatchPlan& batch = *plan.batch;
  bool in_tmp = false;
  if (chdir(batch.work_dir.c_str()) != 0) {
    in_tmp = true;
    if (chdir("/tmp") != 0) ChildFail("chdir /tmp");
  }
  const std::string& out_path = in_tmp ? batch.tmp_out_path : batch.out_path;
  const std::string& err_path = in_tmp ? batch.tmp_err_path : batch.err_path;

  int in = open("/dev/null", O_RDONLY);
  if (in < 0 || dup2(in, STDIN_FILENO) < 0) ChildFail("open /dev/null");
  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) ChildFail("cannot open the job's output file " + out_path);
  int err = out;
  if (err_path != out_path) {
    err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err < 0) ChildFail("cannot open the job's error file " + err_path);
  }
  dup2(out, STDOUT_FILENO);
  dup2(err, STDERR_FILENO);
  if (in_tmp) (void)!write(STDERR_FILENO, plan.chdir_note.data(), plan.chdir_note.size());
  execve(batch.script.c_str(), plan.argv.data(), plan.envp.data());
  ChildFail("cannot execute the batch script");
}

// Runs in the forked child: waits until stepd has put it in the job's cgroup (a byte on
// `go`; EOF means stepd gave up), then becomes the task.
[[noreturn]] void RunScript(const TaskPlan& plan, int go) {
  char byte = 0;
  if (read(go, &byte, 1) != 1) _exit(127);
  close(go);
  ExecTask(plan);
}

struct VforkTask {
  const TaskPlan* plan;
  int setup_error_fd;
};

int VforkTaskMain(void* arg) {
  const auto* task = static_cast<const VforkTask*>(arg);
  g_setup_error_fd = task->setup_error_fd;
  ExecTask(*task->plan);
}

// True when no process of the job is left: stepd has no child (as a subreaper it inherits every
// orphaned descendant, so no child means no descendant at all) and the cgroup is empty. Reaps
// what has exited. This is what a job that simply ended looks like, and it spares the scan of
// every process in /proc and the freezer round trip that TerminateAll would make.
bool NothingLeft(const JobConfinement& confinement) {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  siginfo_t info{};
  const bool no_child = waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD;
  return no_child && confinement.Empty();
}

// Sends SIGTERM to the job, waits up to kill_wait for it to go, then SIGKILLs whatever is left
// until nothing is: cancel and timeout must never leave a process behind. The job's processes
// are stepd's descendants (subreaper) and, with cgroups, the cgroup's members.
void TerminateAll(pid_t task, int kill_wait_s, JobConfinement& confinement) {
  if (NothingLeft(confinement)) return;
  kill(-task, SIGTERM);
  SignalDescendants(getpid(), SIGTERM);
  confinement.Signal(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kill_wait_s);
  while (std::chrono::steady_clock::now() < deadline) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (Descendants(getpid()).empty() && confinement.Empty()) return;
    usleep(50'000);
  }
  confinement.KillAll();
  for (int round = 0; round < 100; ++round) {
    kill(-task, SIGKILL);
    if (SignalDescendants(getpid(), SIGKILL) + confinement.Signal(SIGKILL) == 0) break;
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    usleep(10'000);
  }
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

// The limit noded wrote for a running job (minutes from its start; 0 = none), if readable.
std::optional<uint32_t> ReadTimeLimit(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return std::nullopt;
  uint64_t n = 0;
  size_t digits = 0;
  for (char c : *text) {
    if (c == '\n') break;
    if (c < '0' || c > '9' || ++digits > 10) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (digits == 0 || n > 0xFFFFFFFFu) return std::nullopt;
  return static_cast<uint32_t>(n);
}

}  // namespace

int SuperviseBatchJob(const StepdOptions& opt, const BatchPlan& batch) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGHUP}) sigaddset(&mask, sig);
  sigprocmask(SIG_BLOCK, &mask, nullptr);

  (void)WriteFileAtomic(opt.job_dir + "/stepd.pid", std::to_string(getpid()) + "\n", 0600,
                                         Survives::kProcessCrash);
  const auto record = [&](const JobResult& r) {
    auto s = WriteFileAtomic(opt.job_dir + "/result", EncodeResult(r), 0600);
    if (!s.ok()) StepdNote(s.message());
    return s.ok() ? 0 : 1;
  };
  JobConfinement confinement(opt, batch, MakeCgroupManager(opt));
  if (auto failed = confinement.Prepare()) return record(*failed);
  int setup_error[2];
  if (pipe2(setup_error, O_CLOEXEC | O_NONBLOCK) != 0) {
    confinement.RemoveCgroup();
    return record(NodeFailureResult(std::string("pipe: ") + std::strerror(errno)));
  }
  pid_t task = -1;
  std::string setup_why;  // the task's setup error, when it was read early
  if (kVforkTask && confinement.TaskCanJoinItself()) {
    // vfork: no copy of stepd's page tables and no copy-on-write faults in stepd or the task,
    // which were most of a trivial job's cost (bench/README.md). The task confines itself
    // before it runs anything of the user's; stepd resumes once it has exec'd (or failed).
    const TaskPlan plan = PlanTask(batch, confinement.SelfJoinFiles());
    VforkTask arg{&plan, setup_error[1]};
    constexpr size_t kStack = 256 * 1024;
    void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
      confinement.RemoveCgroup();
      return record(NodeFailureResult(std::string("mmap: ") + std::strerror(errno)));
    }
    task = clone(&VforkTaskMain, static_cast<char*>(stack) + kStack, CLONE_VM | CLONE_VFORK | SIGCHLD, &arg);
    const int clone_errno = errno;
    munmap(stack, kStack);
    close(setup_error[1]);
    if (task < 0) {
      confinement.RemoveCgroup();
      return record(NodeFailureResult(std::string("clone failed: ") + std::strerror(clone_errno)));
    }
    g_setup_error_fd = -1;  // the task set it in the memory it shared with stepd
    // Every setup error is in the pipe by now: the task has exec'd or exited. One that could not
    // join its cgroup ran nothing of the user's, and the node, not the job, failed.
    setup_why = ReadSetupError(setup_error[0]);
    if (setup_why.rfind(kCgroupFailure, 0) == 0) {
      close(setup_error[0]);
      waitpid(task, nullptr, 0);
      confinement.RemoveCgroup();
      return record(NodeFailureResult("cannot put the job in its cgroup on " + opt.node + ": " +
                                      setup_why.substr(sizeof kCgroupFailure - 1)));
    }
  } else {
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) {
      close(setup_error[0]);
      close(setup_error[1]);
      confinement.RemoveCgroup();
      return record(NodeFailureResult(std::string("pipe: ") + std::strerror(errno)));
    }
    const TaskPlan plan = PlanTask(batch, {});
    task = fork();
    if (task < 0) {
      confinement.RemoveCgroup();
      return record(NodeFailureResult(std::string("fork failed: ") + std::strerror(errno)));
    }
    if (task == 0) {
      close(go[1]);
      close(setup_error[0]);
      g_setup_error_fd = setup_error[1];
      RunScript(plan, go[0]);
    }
    close(go[0]);
    close(setup_error[1]);
    if (auto s = confinement.Adopt(task); !s.ok()) {
      close(go[1]);  // the task reads EOF and exits before running anything
      waitpid(task, nullptr, 0);
      confinement.RemoveCgroup();
      return record(NodeFailureResult("cannot put the job in its cgroup on " + opt.node + ": " + s.message()));
    }
    (void)!write(go[1], "g", 1);
    close(go[1]);
  }
  (void)WriteFileAtomic(opt.job_dir + "/task.pid", std::to_string(task) + "\n", 0600,
                                         Survives::kProcessCrash);

  const auto start = std::chrono::steady_clock::now();
  bool limited = batch.time_limit_minutes != 0;
  auto deadline = start + std::chrono::minutes(batch.time_limit_minutes);
  EndCause cause = EndCause::kExited;
  int status = 0;
  for (;;) {
    timespec tick{0, 200'000'000};
    siginfo_t info;
    const int sig = sigtimedwait(&mask, &info, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      cause = EndCause::kCancelled;
      TerminateAll(task, static_cast<int>(opt.kill_wait_s), confinement);
      break;
    }
    if (sig == SIGHUP) {
      // noded wrote the job's new time limit (scontrol update), in minutes from the start.
      if (auto minutes = ReadTimeLimit(opt.job_dir + "/time_limit")) {
        limited = *minutes != 0;
        deadline = start + std::chrono::minutes(*minutes);
        StepdNote("time limit now " + std::to_string(*minutes) + " minutes (0 = none)");
      }
    }
    if (limited && std::chrono::steady_clock::now() >= deadline) {
      cause = EndCause::kTimeout;
      TerminateAll(task, static_cast<int>(opt.kill_wait_s), confinement);
      break;
    }
    pid_t p;
    bool done = false;
    int st = 0;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
      if (p == task) {  // orphans reaped in the same pass must not overwrite its status
        done = true;
        status = st;
      }
    }
    if (done) break;
  }
  // The script is over; anything it left running goes with it, as in Slurm.
  if (cause == EndCause::kExited) TerminateAll(task, 0, confinement);
  JobResult result = confinement.Finish(cause, status);
  if (std::string why = setup_why.empty() ? ReadSetupError(setup_error[0]) : setup_why;
      !why.empty() && cause == EndCause::kExited) {
    result.reason = why;
  }
  close(setup_error[0]);
  return record(result);
}

int SuperviseBatchJobFromArgs(const std::vector<std::string>& args) {
  auto parsed = ParseStepdArgs(args);
  if (!parsed.ok()) {
    StepdNote(parsed.status().message() +
              "\nusage: drover-stepd --node NAME --spool DIR [--kill-wait SECONDS] [cgroup, prolog options] JOBDIR\n"
              "  (started by drover-noded; not meant to be run by hand)");
    return 2;
  }
  auto data = ReadWholeFile(parsed->job_dir + "/plan");
  if (!data.ok()) {
    StepdNote(data.status().message());
    return 1;
  }
  auto batch = DecodeBatchPlan(*data);
  if (!batch.ok()) {
    StepdNote(parsed->job_dir + "/plan: " + batch.status().message());
    return 1;
  }
  return SuperviseBatchJob(*parsed, *batch);
}


}  // namespace drover::noded
