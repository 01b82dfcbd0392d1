#include "noded/cgroup_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <set>
#include <thread>

#include "noded/cgroup_parse.h"

namespace drover::noded {
namespace {

// The controllers drover uses, per version. v2 needs no cpuacct or freezer: cpu.stat,
// cgroup.kill and cgroup.freeze are core files there.
const std::vector<std::string> kWantedV2 = {"cpuset", "memory", "pids"};
const std::vector<std::string> kWantedV1 = {"cpuset", "memory", "pids", "cpuacct", "freezer"};

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

bool IsDir(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<std::string> Read(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  if (n < 0) return std::nullopt;
  return out;
}

// One write(2), as cgroupfs wants: the kernel parses each write as one value.
Status Write(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  const ssize_t n = write(fd, value.data(), value.size());
  const int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return Status::IoError("cannot write \"" + value + "\" to " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
  return Status::IoError("cannot create cgroup " + path + ": " + std::strerror(errno));
}

std::string Parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

}  // namespace

CgroupMounts ProbeCgroupRoot(const std::string& root) {
  CgroupMounts m;
  if (Exists(root + "/cgroup.controllers")) {
    m.version = 2;
    m.unified = root;
    return m;
  }
  for (const auto& c : kWantedV1) {
    const std::string dir = root + "/" + c;
    if (IsDir(dir) && Exists(dir + "/cgroup.procs")) m.v1[c] = dir;
  }
  if (!m.v1.empty()) {
    m.version = 1;
    return m;
  }
  // A hybrid host whose v1 hierarchies hold nothing drover uses: the cgroup2 mount may.
  auto unified = Read(root + "/unified/cgroup.controllers");
  if (unified && unified->find_first_not_of(" \n") != std::string::npos) {
    m.version = 2;
    m.unified = root + "/unified";
    return m;
  }
  m.note = "no cgroup controllers found under " + root;
  return m;
}

CgroupFs::CgroupFs(CgroupMounts mounts, std::string parent, std::string node)
    : mounts_(std::move(mounts)), relative_(std::move(parent) + "/" + std::move(node)) {
  support_.version = mounts_.version;
  support_.note = mounts_.note;
  if (mounts_.version == 2) {
    const std::string have = Read(mounts_.unified + "/cgroup.controllers").value_or("");
    std::set<std::string> present;
    size_t pos = 0;
    while (pos < have.size()) {
      const size_t end = have.find_first_of(" \n", pos);
      const std::string word = have.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      if (!word.empty()) present.insert(word);
      if (end == std::string::npos) break;
      pos = end + 1;
    }
    for (const auto& c : kWantedV2) (present.count(c) ? support_.controllers : support_.missing).push_back(c);
  } else if (mounts_.version == 1) {
    for (const auto& c : kWantedV1) (mounts_.v1.count(c) ? support_.controllers : support_.missing).push_back(c);
  }
}

CgroupSupport CgroupFs::Support() const { return support_; }

std::string CgroupFs::Dir(const std::string& controller, uint64_t job_id) const {
  const std::string leaf = "/" + relative_ + "/job_" + std::to_string(job_id);
  if (mounts_.version == 2) return mounts_.unified + leaf;
  auto it = mounts_.v1.find(controller);
  return it == mounts_.v1.end() ? "" : it->second + leaf;
}

std::vector<std::string> CgroupFs::JobDirs(uint64_t job_id) const {
  std::vector<std::string> out;
  if (mounts_.version == 2) {
    out.push_back(Dir("", job_id));
  } else {
    for (const auto& [c, mount] : mounts_.v1) out.push_back(Dir(c, job_id));
  }
  return out;
}

std::vector<std::string> CgroupFs::NodeDirs() const {
  std::vector<std::string> out;
  if (mounts_.version == 2) out.push_back(mounts_.unified + "/" + relative_);
  for (const auto& [c, mount] : mounts_.v1) out.push_back(mount + "/" + relative_);
  return out;
}

std::string CgroupFs::PathFor(uint64_t job_id) const {
  if (mounts_.version == 2) return Dir("", job_id);
  if (mounts_.v1.count("memory")) return Dir("memory", job_id);
  return mounts_.v1.empty() ? "" : Dir(mounts_.v1.begin()->first, job_id);
}

// Creates <mount>/<parent>/<node>. On v2 each level must delegate the controllers to the next
// (cgroup.subtree_control); on v1 a cpuset cgroup accepts no task until cpus and mems are set,
// and a new one starts empty, so each level copies its parent's.
Status CgroupFs::MakeParents(const std::string& mount, bool cpuset_v1) {
  std::string path = mount;
  size_t pos = 0;
  const std::string job_level = relative_ + "/";
  while (pos < job_level.size()) {
    const size_t slash = job_level.find('/', pos);
    if (mounts_.version == 2) {
      // Best effort: a controller already enabled, or one the host refuses, is reported by
      // the writes into the job's cgroup, not here.
      for (const auto& c : support_.controllers) (void)Write(path + "/cgroup.subtree_control", "+" + c);
    }
    const std::string child = path + "/" + job_level.substr(pos, slash - pos);
    DROVER_RETURN_IF_ERROR(MakeDir(child));
    if (cpuset_v1) {
      for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
        const std::string mine = Read(child + "/" + f).value_or("");
        if (mine.find_first_not_of(" \n") != std::string::npos) continue;
        DROVER_RETURN_IF_ERROR(Write(child + "/" + f, Read(path + "/" + f).value_or("")));
      }
    }
    path = child;
    pos = slash + 1;
  }
  if (mounts_.version == 2) {
    for (const auto& c : support_.controllers) (void)Write(path + "/cgroup.subtree_control", "+" + c);
  }
  return Status::Ok();
}

Status CgroupFs::Init() {
  if (mounts_.version == 0) return Status::Unsupported("no cgroups on this host: " + support_.note);
  if (mounts_.version == 2) return MakeParents(mounts_.unified, false);
  for (const auto& [c, mount] : mounts_.v1) DROVER_RETURN_IF_ERROR(MakeParents(mount, c == "cpuset"));
  return Status::Ok();
}

Result<std::vector<std::string>> CgroupFs::Create(uint64_t job_id, const CgroupLimits& limits) {
  if (mounts_.version == 0) return Status::Unsupported("no cgroups on this host: " + support_.note);
  // On v1 the parents (every level in five hierarchies, the cpuset levels filled in) are there
  // after noded's Init and every job before, so the job's cgroup is made without them first:
  // per job 15 mkdir that fail with EEXIST and 12 reads of cpuset files fewer. A missing parent
  // fails the job's mkdir (ENOENT) and an emptied parent cpuset is seen below; then the parents
  // are made and the whole is done again, as before, and its error, if any, is the answer.
  if (mounts_.version == 1) {
    auto made = CreateJob(job_id, limits, /*parents_ready=*/true);
    if (made.ok()) return made;
  }
  return CreateJob(job_id, limits, /*parents_ready=*/false);
}

Result<std::vector<std::string>> CgroupFs::CreateJob(uint64_t job_id, const CgroupLimits& limits, bool parents_ready) {
  std::vector<std::string> notes;
  if (!parents_ready) {
    if (mounts_.version == 2) {
      DROVER_RETURN_IF_ERROR(MakeParents(mounts_.unified, false));
    } else {
      for (const auto& [c, mount] : mounts_.v1) DROVER_RETURN_IF_ERROR(MakeParents(mount, c == "cpuset"));
    }
  }
  for (const auto& dir : JobDirs(job_id)) DROVER_RETURN_IF_ERROR(MakeDir(dir));
  // The node level's cpuset value: blank means a parent that MakeParents must fill in first.
  const auto parent_cpuset = [&](const std::string& dir, const std::string& file,
                                 const std::string& unreadable = "") -> Result<std::string> {
    std::string value = Read(Parent(dir) + file).value_or(unreadable);
    if (parents_ready && value.find_first_not_of(" \n") == std::string::npos) {
      return Status::NotFound(Parent(dir) + file + " is empty");
    }
    return value;
  };

  if (!limits.cpus.empty() && support_.Has("cpuset")) {
    const std::string dir = Dir("cpuset", job_id);
    // Only cores the node's cgroup may use: a test cluster can configure cores the host lacks
    // (`drover local up --like rk1` on a small machine).
    const std::string parent_file = mounts_.version == 2 ? "/cpuset.cpus.effective" : "/cpuset.cpus";
    auto host_text = mounts_.version == 1 ? parent_cpuset(dir, parent_file)
                                          : Result<std::string>(Read(Parent(dir) + parent_file).value_or(""));
    DROVER_RETURN_IF_ERROR(host_text.status());
    auto host = ParseCpuList(*host_text);
    std::vector<uint32_t> cpus;
    for (uint32_t c : limits.cpus) {
      if (!host || host->empty() || std::find(host->begin(), host->end(), c) != host->end()) cpus.push_back(c);
    }
    if (cpus.empty() && host) cpus = *host;  // none of them exist: the node's cores, never none
    if (cpus.size() != limits.cpus.size() || cpus != limits.cpus) {
      notes.push_back("cores " + FormatCpuList(limits.cpus) + " asked, this host's cgroup allows " +
                      (host ? FormatCpuList(*host) : std::string("?")) + ": confined to " +
                      FormatCpuList(cpus));
    }
    if (!cpus.empty()) DROVER_RETURN_IF_ERROR(Write(dir + "/cpuset.cpus", FormatCpuList(cpus)));
    if (mounts_.version == 1) {
      auto mems = parent_cpuset(dir, "/cpuset.mems", "0");
      DROVER_RETURN_IF_ERROR(mems.status());
      DROVER_RETURN_IF_ERROR(Write(dir + "/cpuset.mems", *mems));
    }
  } else if (mounts_.version == 1 && support_.Has("cpuset")) {
    // Unconfined, but a v1 cpuset cgroup still needs its cpus and mems to accept tasks.
    const std::string dir = Dir("cpuset", job_id);
    for (const char* f : {"/cpuset.cpus", "/cpuset.mems"}) {
      auto value = parent_cpuset(dir, f);
      DROVER_RETURN_IF_ERROR(value.status());
      DROVER_RETURN_IF_ERROR(Write(dir + f, *value));
    }
  }
  if (limits.memory_bytes != 0) {
    if (!support_.Has("memory")) {
      notes.push_back("no memory controller: the memory limit is not enforced");
    } else {
      const std::string dir = Dir("memory", job_id);
      const std::string bytes = std::to_string(limits.memory_bytes);
      if (mounts_.version == 2) {
        DROVER_RETURN_IF_ERROR(Write(dir + "/memory.max", bytes));
        // The limit is the job's memory, not memory plus swap (Slurm's AllowedSwapSpace=0).
        if (Exists(dir + "/memory.swap.max")) (void)Write(dir + "/memory.swap.max", "0");
      } else {
        DROVER_RETURN_IF_ERROR(Write(dir + "/memory.limit_in_bytes", bytes));
        // memsw exists only with swap accounting; must stay >= limit_in_bytes, so set second.
        if (Exists(dir + "/memory.memsw.limit_in_bytes")) (void)Write(dir + "/memory.memsw.limit_in_bytes", bytes);
      }
    }
  }
  if (limits.pids_max != 0) {
    if (!support_.Has("pids")) {
      notes.push_back("no pids controller: the process limit is not enforced");
    } else {
      DROVER_RETURN_IF_ERROR(Write(Dir("pids", job_id) + "/pids.max", std::to_string(limits.pids_max)));
    }
  }
  return notes;
}

std::vector<std::string> CgroupFs::SelfJoinFiles(uint64_t job_id) const {
  std::vector<std::string> files;
  for (const auto& dir : JobDirs(job_id)) files.push_back(dir + "/cgroup.procs");
  return files;
}

Status CgroupFs::AddProcess(uint64_t job_id, pid_t pid) {
  for (const auto& dir : JobDirs(job_id)) DROVER_RETURN_IF_ERROR(Write(dir + "/cgroup.procs", std::to_string(pid)));
  return Status::Ok();
}

std::vector<pid_t> CgroupFs::Processes(uint64_t job_id) const {
  std::set<pid_t> all;
  for (const auto& dir : JobDirs(job_id)) {
    for (pid_t p : ParsePidList(Read(dir + "/cgroup.procs").value_or(""))) all.insert(p);
  }
  return {all.begin(), all.end()};
}

size_t CgroupFs::Signal(uint64_t job_id, int sig) {
  size_t n = 0;
  for (pid_t p : Processes(job_id)) {
    if (kill(p, sig) == 0) ++n;
  }
  return n;
}

Status CgroupFs::KillAll(uint64_t job_id) {
  if (mounts_.version == 0) return Status::Unsupported("no cgroups");
  const auto wait_for = [](const std::function<bool()>& done) {
    for (int i = 0; i < 100 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  if (mounts_.version == 2) {
    const std::string dir = Dir("", job_id);
    if (Exists(dir + "/cgroup.kill")) return Write(dir + "/cgroup.kill", "1");  // Linux >= 5.14
    if (Exists(dir + "/cgroup.freeze")) {
      DROVER_RETURN_IF_ERROR(Write(dir + "/cgroup.freeze", "1"));
      wait_for([&] { return ParseKeyedValue(Read(dir + "/cgroup.events").value_or(""), "frozen") == 1u; });
      Signal(job_id, SIGKILL);
      return Write(dir + "/cgroup.freeze", "0");
    }
  } else if (mounts_.v1.count("freezer")) {
    // Frozen tasks cannot fork, so one pass of SIGKILL gets every one; the kills land at thaw.
    const std::string dir = Dir("freezer", job_id);
    DROVER_RETURN_IF_ERROR(Write(dir + "/freezer.state", "FROZEN"));
    wait_for([&] { return Read(dir + "/freezer.state").value_or("").rfind("FROZEN", 0) == 0; });
    Signal(job_id, SIGKILL);
    return Write(dir + "/freezer.state", "THAWED");
  }
  // Neither: signal until nothing is left or we give up; the caller checks Processes().
  for (int i = 0; i < 50 && Signal(job_id, SIGKILL) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Ok();
}

CgroupUsage CgroupFs::Usage(uint64_t job_id) const {
  CgroupUsage u;
  if (mounts_.version == 2) {
    const std::string dir = Dir("", job_id);
    if (auto usec = ParseKeyedValue(Read(dir + "/cpu.stat").value_or(""), "usage_usec")) {
      u.have_cpu = true;
      u.cpu_ms = *usec / 1000;
    }
    if (support_.Has("memory")) {
      if (auto peak = ParseCgroupUint(Read(dir + "/memory.peak").value_or(""))) {  // Linux >= 5.19
        u.have_memory = true;
        u.max_rss_kb = *peak / 1024;
      }
      u.oom_kills = ParseKeyedValue(Read(dir + "/memory.events").value_or(""), "oom_kill").value_or(0);
    }
    return u;
  }
  if (mounts_.v1.count("cpuacct")) {
    if (auto ns = ParseCgroupUint(Read(Dir("cpuacct", job_id) + "/cpuacct.usage").value_or(""))) {
      u.have_cpu = true;
      u.cpu_ms = *ns / 1'000'000;
    }
  }
  if (mounts_.v1.count("memory")) {
    const std::string dir = Dir("memory", job_id);
    if (auto peak = ParseCgroupUint(Read(dir + "/memory.max_usage_in_bytes").value_or(""))) {
      u.have_memory = true;
      u.max_rss_kb = *peak / 1024;
    }
    // oom_kill in memory.oom_control: Linux >= 4.13.
    u.oom_kills = ParseKeyedValue(Read(dir + "/memory.oom_control").value_or(""), "oom_kill").value_or(0);
    u.mem_failcnt = ParseCgroupUint(Read(dir + "/memory.failcnt").value_or("")).value_or(0);
  }
  return u;
}

Status CgroupFs::Remove(uint64_t job_id) {
  Status result = Status::Ok();
  for (const auto& dir : JobDirs(job_id)) {
    if (rmdir(dir.c_str()) != 0 && errno != ENOENT && result.ok()) {
      result = Status::IoError("cannot remove cgroup " + dir + ": " + std::strerror(errno));
    }
  }
  return result;
}

std::vector<uint64_t> CgroupFs::ListJobs() const {
  std::set<uint64_t> ids;
  for (const auto& node_dir : NodeDirs()) {
    DIR* d = opendir(node_dir.c_str());
    if (d == nullptr) continue;
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.rfind("job_", 0) != 0) continue;
      if (auto id = ParseCgroupUint(name.substr(4)); id && IsDir(node_dir + "/" + name)) ids.insert(*id);
    }
    closedir(d);
  }
  return {ids.begin(), ids.end()};
}

}  // namespace drover::noded
