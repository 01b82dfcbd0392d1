// The least CPU a batch job of a trivial script can cost on this machine, whatever runs it:
// the same per-job steps a workload manager's node side takes, written as plainly as possible
// (no daemon, no RPC, no libraries), added one at a time. It prints the CPU time per job of
// each variant and the rate this machine's CPUs could reach at that cost if nothing else used
// them: a ceiling for bench/throughput.sh on the same machine. Prints figures; asserts nothing.
//   drover_launch_floor [JOBS]       (as root for the cgroup variants; skipped otherwise)
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Cgroups {
  std::vector<std::string> scratch;  // one parent per hierarchy, made by this program
  bool v2 = false;
};

struct Variant {
  const char* name;
  bool supervisor;  // a process of its own per job that starts the task and waits for it
  bool cgroups;
  bool result;      // the outcome written to a file, fsynced, renamed
};

std::string g_script;
std::string g_dir;
Cgroups g_cg;
char g_task_stack[64 * 1024];
std::vector<std::string> g_join;  // the task's cgroup.procs files, computed before the clone

double CpuMs() {
  rusage self{}, kids{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &kids);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(self.ru_utime) + ms(self.ru_stime) + ms(kids.ru_utime) + ms(kids.ru_stime);
}

bool WriteFile(const std::string& path, const char* text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = write(fd, text, strlen(text)) == static_cast<ssize_t>(strlen(text));
  close(fd);
  return ok;
}

std::string ReadLine(const std::string& path) {
  char buf[256] = {};
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// The hierarchies a job is confined in: on v1 the five drover uses (cpuset, memory, cpuacct,
// pids, freezer), on v2 the unified one. Empty when not root or nothing is mounted.
Cgroups MakeScratchCgroups() {
  Cgroups cg;
  if (geteuid() != 0) return cg;
  const std::string tag = "/drover-floor-" + std::to_string(getpid());
  struct stat st{};
  if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) {
    const std::string dir = "/sys/fs/cgroup" + tag;
    if (mkdir(dir.c_str(), 0755) == 0) {
      cg.scratch.push_back(dir);
      cg.v2 = true;
    }
    return cg;
  }
  for (const char* h : {"cpuset", "memory", "cpuacct", "pids", "freezer"}) {
    const std::string root = std::string("/sys/fs/cgroup/") + h;
    const std::string dir = root + tag;
    if (stat(root.c_str(), &st) != 0 || mkdir(dir.c_str(), 0755) != 0) continue;
    if (std::string(h) == "cpuset") {  // a v1 cpuset cgroup admits no task until both are set
      WriteFile(dir + "/cpuset.cpus", ReadLine(root + "/cpuset.cpus").c_str());
      WriteFile(dir + "/cpuset.mems", ReadLine(root + "/cpuset.mems").c_str());
    }
    cg.scratch.push_back(dir);
  }
  return cg;
}

int TaskMain(void*) {
  for (const std::string& f : g_join)
    if (!WriteFile(f, "0")) _exit(126);
  setsid();
  const int null = open("/dev/null", O_RDWR);
  for (int fd = 0; fd <= 2; ++fd) dup2(null, fd);
  char* argv[] = {g_script.data(), nullptr};
  char path[] = "PATH=/usr/bin:/bin";
  char* envp[] = {path, nullptr};
  execve(argv[0], argv, envp);
  _exit(127);
}

// One job, from the moment its supervisor (or, without one, its task) is started to the
// moment its outcome is known.
void RunJob(const Variant& v, int id) {
  std::vector<std::string> mine;
  g_join.clear();
  if (v.cgroups) {
    for (const std::string& parent : g_cg.scratch) {
      const std::string dir = parent + "/job_" + std::to_string(id);
      if (mkdir(dir.c_str(), 0755) != 0) continue;
      if (!g_cg.v2 && parent.find("/cpuset/") != std::string::npos) {
        WriteFile(dir + "/cpuset.cpus", ReadLine(parent + "/cpuset.cpus").c_str());
        WriteFile(dir + "/cpuset.mems", ReadLine(parent + "/cpuset.mems").c_str());
      }
      mine.push_back(dir);
      g_join.push_back(dir + "/cgroup.procs");
    }
  }
  // As drover's supervisor does: the task shares the parent's memory until its exec.
  const pid_t task = clone(TaskMain, g_task_stack + sizeof g_task_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, nullptr);
  int status = 0;
  if (task > 0) waitpid(task, &status, 0);
  for (const std::string& dir : mine)
    while (rmdir(dir.c_str()) != 0 && errno == EBUSY) usleep(100);
  if (v.result) {
    const std::string tmp = g_dir + "/result.tmp";
    const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      const std::string text = "exit_status=" + std::to_string(status) + "\n";
      if (write(fd, text.data(), text.size()) < 0) perror("write");
      fsync(fd);
      close(fd);
      rename(tmp.c_str(), (g_dir + "/result").c_str());
    }
  }
}

void Measure(const Variant& v, int jobs, long cpus) {
  if (v.cgroups && g_cg.scratch.empty()) {
    std::printf("%-58s (skipped: needs root and cgroups)\n", v.name);
    return;
  }
  const double before = CpuMs();
  for (int i = 0; i < jobs; ++i) {
    if (!v.supervisor) {
      RunJob(v, i);
      continue;
    }
    const pid_t sup = fork();
    if (sup == 0) {
      RunJob(v, i);
      _exit(0);
    }
    waitpid(sup, nullptr, 0);
  }
  const double per_job = (CpuMs() - before) / jobs;
  std::printf("%-58s %6.2f ms  %6.0f jobs/s\n", v.name, per_job, cpus * 1000.0 / per_job);
}

}  // namespace

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 300;
  if (jobs <= 0) {
    std::fprintf(stderr, "drover_launch_floor: error: JOBS must be a positive number\n");
    return 2;
  }
  char tmpl[] = "/tmp/drover-floor.XXXXXX";
  if (!mkdtemp(tmpl)) {
    perror("drover_launch_floor: mkdtemp");
    return 1;
  }
  g_dir = tmpl;
  g_script = g_dir + "/job.sh";
  {
    const int fd = open(g_script.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    const char text[] = "#!/bin/sh\ntrue\n";
    if (fd < 0 || write(fd, text, sizeof text - 1) < 0) return 1;
    close(fd);
  }
  g_cg = MakeScratchCgroups();
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);

  const Variant variants[] = {
      {"the job's script alone (clone+exec of #!/bin/sh, wait)", false, false, false},
      {"+ a supervisor process per job (fork, exit)", true, false, false},
      {g_cg.v2 ? "+ the job's cgroup (v2: mkdir, join, rmdir)"
               : "+ the job's cgroups (v1: 5 hierarchies: mkdir, join, rmdir)",
       true, true, false},
      {"+ the outcome written, fsynced and renamed", true, true, true},
  };
  std::printf("%d jobs per variant; CPU per job (this process and its children), and the rate\n"
              "%ld CPUs could reach at that cost if nothing else ran\n",
              jobs, cpus);
  for (const Variant& v : variants) Measure(v, jobs, cpus);

  for (const std::string& dir : g_cg.scratch) rmdir(dir.c_str());
  unlink((g_dir + "/result").c_str());
  unlink(g_script.c_str());
  rmdir(g_dir.c_str());
  return 0;
}
