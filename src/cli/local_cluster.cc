#include "cli/local_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "cli/client.h"
#include "common/config.h"
#include "common/hostlist.h"
#include "common/keygen.h"
#include "common/topology.h"
#include "common/topology_fixtures.h"

namespace drover::cli {
namespace {

namespace fs = std::filesystem;

// Each local cluster's job cgroups get a parent of their own: every local cluster names its
// nodes node1, node2..., and tests run several clusters at once on one host.
std::string CgroupParentFor(const std::string& dir) {
  std::error_code ec;
  const std::string abs = fs::absolute(dir, ec).lexically_normal().string();
  char hex[17];
  snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(ec ? dir : abs));
  return std::string("drover-local/") + hex;
}

// Removes <mount>/<parent> under every cgroup hierarchy, deepest first; rmdir takes only
// cgroups without processes, so a job still running keeps its own (and its parents).
void RemoveCgroupTree(const std::string& parent) {
  std::vector<std::string> mounts{"/sys/fs/cgroup"};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (e.is_directory(ec)) mounts.push_back(e.path().string());
  }
  for (const auto& mount : mounts) {
    const std::string top = mount + "/" + parent;
    if (!fs::is_directory(top, ec)) continue;
    std::vector<std::string> dirs{top};
    for (auto it = fs::recursive_directory_iterator(top, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) dirs.push_back(it->path().string());
    }
    std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& d : dirs) rmdir(d.c_str());
    rmdir(fs::path(top).parent_path().c_str());  // drover-local, if no other cluster uses it
  }
}

std::string SelfDir() {
  char buf[PATH_MAX] = {};
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  const std::string self = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  return self.substr(0, self.rfind('/'));
}

Result<uint16_t> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return Status::IoError(std::string("cannot find a free port: ") + std::strerror(errno));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

uint64_t MemTotalMB() {
  std::ifstream in("/proc/meminfo");
  std::string name, unit;
  uint64_t kb = 0;
  while (in >> name >> kb >> unit) {
    if (name == "MemTotal:") return kb / 1024;
  }
  return 1024;
}

bool Alive(int pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_s, comm, state;
  in >> pid_s >> comm >> state;
  return state != "Z";
}

std::string Tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "  " + all[i] + "\n";
  return out;
}

}  // namespace

LocalCluster::LocalCluster(std::string dir) : dir_(std::move(dir)), bin_dir_(SelfDir()) {
  std::error_code ec;
  auto abs = fs::absolute(dir_, ec);
  if (!ec) dir_ = abs.lexically_normal().string();
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::vector<std::string> LocalCluster::WorkerNames(int n) {
  std::vector<std::string> names;
  for (int i = 1; static_cast<int>(names.size()) < n; ++i) {
    if (i == 3) continue;  // node3 is the controller, as on the Turing Pi
    names.push_back("node" + std::to_string(i));
  }
  return names;
}

std::vector<std::string> LocalCluster::DaemonNames() const {
  std::vector<std::string> names{"ctld"};
  auto config = LoadConfig(ConfigPath());
  if (config.ok()) {
    for (const auto& n : config->nodes) names.push_back(n.name);
  }
  return names;
}

int LocalCluster::PidOf(const std::string& name) const {
  std::ifstream in(dir_ + "/run/" + name + ".pid");
  int pid = 0;
  if (!(in >> pid) || !Alive(pid)) return 0;
  return pid;
}

std::vector<LocalDaemon> LocalCluster::ListDaemons() const {
  std::vector<LocalDaemon> out;
  for (const auto& name : DaemonNames()) out.push_back({name, PidOf(name)});
  return out;
}

drover::Status LocalCluster::WriteConfig(const std::vector<std::string>& workers, const std::string& like) {
  auto ctld_port = FreePort();
  if (!ctld_port.ok()) return ctld_port.status();
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  const uint64_t mem = std::max<uint64_t>(256, MemTotalMB() / workers.size());
  std::ostringstream y;
  y << "# Written by `drover local up`: a whole cluster on this machine.\n"
    << "cluster: local\n"
    << "controller: {host: node3, address: 127.0.0.1, port: " << *ctld_port << "}\n"
    << "state_dir: " << dir_ << "/state\n"
    << "spool_dir: " << dir_ << "/spool/%n\n"
    << "auth_socket: " << dir_ << "/run/auth.sock\n"
    << "key_file: " << dir_ << "/keys/cluster.key\n"
    << "tls: {ca: " << dir_ << "/keys/tls/ca.crt, cert: " << dir_ << "/keys/tls/%n.crt, key: " << dir_
    << "/keys/tls/%n.key}\n"
    << "timeouts: {heartbeat_interval: 1, node_timeout: 5, kill_wait: 2}\n"
    << "scheduling: {default_mem_per_cpu: 100M, allow_root_jobs: true}\n"
    << "cgroups: {parent: " << CgroupParentFor(dir_) << "}\n";
  const TopologyFixture* fixture = FindTopologyFixture(like);
  std::optional<NodeTopology> topology;
  if (fixture != nullptr) {
    // Every node reports the fixture's topology (drover-noded --topology-fixture), so the
    // entries say exactly that and a strict policy holds.
    topology = BuildTopology(FixtureFacts(*fixture));
    y << "topology_policy: strict\n";
    if (const std::string kinds = KindsYaml(*topology); !kinds.empty()) y << "kinds: " << kinds << "\n";
  } else {
    // This machine's CPUs may be fewer for hwloc than for the count above (a container's
    // cpuset): keep the entries and log differences.
    y << "topology_policy: config\n";
  }
  y << "nodes:\n";
  for (const auto& w : workers) {
    auto port = FreePort();
    if (!port.ok()) return port.status();
    y << "  - {names: " << w << ", address: 127.0.0.1, port: " << *port;
    if (topology) {
      y << ", " << CoresYaml(*topology) << ", memory: " << topology->memory_mb << "M, features: [" << fixture->name
        << ", " << (fixture->arch == "aarch64" ? "arm64" : "x86_64") << "]}\n";
    } else {
      y << ", cpus: " << cpus << ", memory: " << mem << "}\n";
    }
  }
  y << "partitions:\n  - {name: batch, nodes: \"" << CompressHostlist(workers) << "\", default: true}\n";
  std::ofstream out(ConfigPath(), std::ios::trunc);
  out << y.str();
  out.close();
  if (!out) return drover::Status::IoError("cannot write " + ConfigPath());
  chmod(ConfigPath().c_str(), 0644);
  // Remembered for `drover local start NODE`.
  std::ofstream like_file(LikePath(), std::ios::trunc);
  like_file << like << "\n";
  like_file.close();
  if (!like_file) return drover::Status::IoError("cannot write " + LikePath());
  return drover::Status::Ok();
}

drover::Status LocalCluster::StartDaemon(const std::string& name) {
  if (PidOf(name) != 0) return drover::Status::AlreadyExists(name + " is already running");
  const std::string log = dir_ + "/log/" + name + ".log";
  const bool is_ctld = name == "ctld";
  const std::string binary = bin_dir_ + (is_ctld ? "/drover-ctld" : "/drover-noded");
  if (access(binary.c_str(), X_OK) != 0) {
    return drover::Status::NotFound("cannot execute " + binary + ": " + std::strerror(errno));
  }
  std::string fixture;
  std::ifstream(LikePath()) >> fixture;
  if (FindTopologyFixture(fixture) == nullptr) fixture.clear();
  const pid_t pid = fork();
  if (pid < 0) return drover::Status::Internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setsid();
    int in = open("/dev/null", O_RDONLY);
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) dup2(in, STDIN_FILENO);
    if (out >= 0) {
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
    }
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    const std::string config = ConfigPath();
    if (is_ctld) {
      execl(binary.c_str(), "drover-ctld", "--config", config.c_str(), static_cast<char*>(nullptr));
    } else if (!fixture.empty()) {
      execl(binary.c_str(), "drover-noded", "--config", config.c_str(), "--name", name.c_str(),
            "--topology-fixture", fixture.c_str(), static_cast<char*>(nullptr));
    } else {
      execl(binary.c_str(), "drover-noded", "--config", config.c_str(), "--name", name.c_str(),
            static_cast<char*>(nullptr));
    }
    _exit(127);
  }
  std::ofstream(dir_ + "/run/" + name + ".pid") << pid << "\n";
  // A daemon that cannot start (bad config, port taken) exits at once: say why.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return drover::Status::Unavailable(name + " exited at start; its log " + log + " ends with:\n" + Tail(log, 5));
    }
  }
  return drover::Status::Ok();
}

drover::Status LocalCluster::WaitUntilIdle(int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto client = ControllerClient::Connect(ConfigPath());
    if (client.ok()) {
      v1::Body body;
      body.mutable_query_nodes();
      auto reply = (*client)->Call(body);
      if (reply.ok()) {
        bool all_up = true;
        last.clear();
        for (const auto& n : reply->query_nodes_response().nodes()) {
          const bool up = n.state() == v1::NODE_STATE_IDLE || n.state() == v1::NODE_STATE_MIXED ||
                          n.state() == v1::NODE_STATE_ALLOCATED;
          if (!up) {
            all_up = false;
            last += " " + n.name() + "=" + v1::NodeState_Name(n.state());
          }
        }
        if (all_up) return drover::Status::Ok();
      } else {
        last = reply.status().message();
      }
    } else {
      last = client.status().message();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return drover::Status::Timeout("the cluster did not come up within " + std::to_string(seconds) +
                                 " s (" + last + "); see the logs in " + dir_ + "/log");
}

drover::Status LocalCluster::Up(int nodes, const std::string& like) {
  if (nodes < 1 || nodes > 64) return drover::Status::InvalidArgument("--nodes must be between 1 and 64");
  if (like != "host" && FindTopologyFixture(like) == nullptr) {
    return drover::Status::InvalidArgument("--like must be host or one of " + TopologyFixtureNames() + ", not '" +
                                           like + "'");
  }
  const auto daemons = ListDaemons();
  for (const auto& d : daemons) {
    if (d.pid == 0) continue;
    // A crashed daemon is the usual reason to land here: say how to bring back just that one,
    // since `up` would make new keys and a new config under the running ones.
    std::string stopped;
    for (const auto& s : daemons) {
      if (s.pid == 0) stopped += (stopped.empty() ? "" : " ") + s.name;
    }
    std::string msg = "a local cluster is already running in " + dir_ + " (" + d.name + " pid " +
                      std::to_string(d.pid) + ")";
    if (!stopped.empty()) {
      msg += "; stopped: " + stopped + "; start one again with 'drover local start --dir " + dir_ + " NAME'";
    }
    return drover::Status::AlreadyExists(msg + "; or stop it with 'drover local down --dir " + dir_ + "'");
  }
  for (const char* sub : {"", "/run", "/log", "/state", "/spool"}) {
    std::error_code ec;
    fs::create_directories(dir_ + sub, ec);
    if (ec) return drover::Status::IoError("cannot create " + dir_ + sub + ": " + ec.message());
    chmod((dir_ + sub).c_str(), 0755);
  }
  const auto workers = WorkerNames(nodes);
  std::vector<std::string> hosts{"node3"};
  hosts.insert(hosts.end(), workers.begin(), workers.end());
  auto keys = GenerateClusterKeys({dir_ + "/keys", hosts, 3650, false});
  if (!keys.ok()) return keys.status();
  DROVER_RETURN_IF_ERROR(WriteConfig(workers, like));
  DROVER_RETURN_IF_ERROR(StartDaemon("ctld"));
  for (const auto& w : workers) DROVER_RETURN_IF_ERROR(StartDaemon(w));
  return WaitUntilIdle(30);
}

drover::Status LocalCluster::Down() {
  std::vector<int> pids;
  // Jobs first: their supervisors outlive noded on purpose, so stop them explicitly.
  std::error_code ec;
  for (const auto& node_dir : fs::directory_iterator(dir_ + "/spool", ec)) {
    std::error_code ec2;
    for (const auto& job_dir : fs::directory_iterator(node_dir.path(), ec2)) {
      std::ifstream in(job_dir.path() / "stepd.pid");
      int pid = 0;
      if (in >> pid && Alive(pid)) {
        kill(pid, SIGTERM);
        pids.push_back(pid);
      }
    }
  }
  auto daemons = ListDaemons();
  for (auto it = daemons.rbegin(); it != daemons.rend(); ++it) {  // nodes first, ctld last
    if (it->pid != 0) {
      kill(it->pid, SIGTERM);
      pids.push_back(it->pid);
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int pid : pids) {
    while (Alive(pid) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (Alive(pid)) kill(pid, SIGKILL);
  }
  for (const auto& d : daemons) unlink((dir_ + "/run/" + d.name + ".pid").c_str());
  if (geteuid() == 0) RemoveCgroupTree(CgroupParentFor(dir_));
  return drover::Status::Ok();
}

drover::Status LocalCluster::Kill(const std::string& name) {
  const int pid = PidOf(name);
  if (pid == 0) return drover::Status::NotFound(name + " is not running");
  if (kill(pid, SIGKILL) != 0) return drover::Status::Internal(std::string("kill: ") + std::strerror(errno));
  while (Alive(pid)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return drover::Status::Ok();
}

drover::Status LocalCluster::Start(const std::string& name) {
  const auto names = DaemonNames();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return drover::Status::NotFound("no daemon named " + name + " in " + ConfigPath() +
                                    " (use ctld or a node name)");
  }
  return StartDaemon(name);
}

}  // namespace drover::cli
