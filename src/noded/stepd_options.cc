#include "noded/stepd_options.h"

#include <unistd.h>

#include "noded/cgroup_fs.h"

namespace drover::noded {

StepdOptions StepdOptions::FromConfig(const Config& config, const std::string& node, const std::string& spool) {
  StepdOptions o;
  o.spool = spool;
  o.node = node;
  o.kill_wait_s = config.kill_wait_s;
  o.cgroups = config.cgroups_enabled;
  o.cgroup_root = config.cgroup_root;
  o.cgroup_parent = config.cgroup_parent;
  o.pids_limit = config.cgroup_pids_limit;
  o.prolog = config.prolog;
  o.epilog = config.epilog;
  o.prolog_timeout_s = config.prolog_timeout_s;
  return o;
}

std::vector<std::string> StepdOptions::ToArgs() const {
  std::vector<std::string> a{"--node", node, "--spool", spool, "--kill-wait", std::to_string(kill_wait_s)};
  if (!cgroups) a.push_back("--no-cgroups");
  if (!cgroup_root.empty()) a.insert(a.end(), {"--cgroup-root", cgroup_root});
  for (const auto& [controller, mount] : cgroup_v1) a.insert(a.end(), {"--cgroup-v1", controller + "=" + mount});
  a.insert(a.end(), {"--cgroup-parent", cgroup_parent});
  if (pids_limit) a.insert(a.end(), {"--pids-limit", std::to_string(pids_limit)});
  if (!prolog.empty()) a.insert(a.end(), {"--prolog", prolog});
  if (!epilog.empty()) a.insert(a.end(), {"--epilog", epilog});
  a.insert(a.end(), {"--prolog-timeout", std::to_string(prolog_timeout_s)});
  a.push_back(job_dir);
  return a;
}

Result<StepdOptions> ParseStepdArgs(const std::vector<std::string>& args) {
  StepdOptions o;
  const auto number = [](const std::string& s, uint64_t& out) {
    try {
      size_t used = 0;
      out = std::stoull(s, &used);
      return used == s.size();
    } catch (const std::exception&) {
      return false;
    }
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    uint64_t n = 0;
    if (a == "--no-cgroups") {
      o.cgroups = false;
    } else if (has_value && (a == "--node" || a == "--spool" || a == "--cgroup-root" || a == "--cgroup-parent" ||
                             a == "--prolog" || a == "--epilog")) {
      std::string& out = a == "--node" ? o.node
                         : a == "--spool" ? o.spool
                         : a == "--cgroup-root" ? o.cgroup_root
                         : a == "--cgroup-parent" ? o.cgroup_parent
                         : a == "--prolog" ? o.prolog
                                           : o.epilog;
      out = args[++i];
    } else if (has_value && a == "--cgroup-v1") {
      const std::string& value = args[++i];
      const auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
        return Status::InvalidArgument("--cgroup-v1: expected CONTROLLER=MOUNT, got " + value);
      }
      o.cgroup_v1[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (has_value && (a == "--kill-wait" || a == "--pids-limit" || a == "--prolog-timeout")) {
      if (!number(args[++i], n)) return Status::InvalidArgument(a + ": expected a number, got " + args[i]);
      if (a == "--kill-wait") o.kill_wait_s = static_cast<uint32_t>(n);
      if (a == "--pids-limit") o.pids_limit = n;
      if (a == "--prolog-timeout") o.prolog_timeout_s = static_cast<uint32_t>(n);
    } else if (o.job_dir.empty() && !a.empty() && a[0] != '-') {
      o.job_dir = a;
    } else {
      return Status::InvalidArgument("unexpected argument " + a);
    }
  }
  if (o.job_dir.empty() || o.node.empty() || o.spool.empty()) {
    return Status::InvalidArgument("--node, --spool and JOBDIR are required");
  }
  return o;
}

std::unique_ptr<CgroupManager> MakeCgroupManager(const StepdOptions& options) {
  if (!options.cgroups) return nullptr;
  if (geteuid() != 0) {
    CgroupMounts none;
    none.note = "not running as root";
    return std::make_unique<CgroupFs>(none, options.cgroup_parent, options.node);
  }
  if (!options.cgroup_v1.empty()) {
    CgroupMounts known;
    known.version = 1;
    known.v1 = options.cgroup_v1;
    return std::make_unique<CgroupFs>(known, options.cgroup_parent, options.node);
  }
  // No libcgroup discovery here (the batch supervisor links no libcgroup): noded hands the v1
  // mounts it discovered to every stepd, so only the conventional layout is probed, which finds
  // a v2 host and a root given in the configuration as the discovery did.
  return std::make_unique<CgroupFs>(ProbeCgroupRoot(options.cgroup_root.empty() ? "/sys/fs/cgroup" : options.cgroup_root),
                                    options.cgroup_parent, options.node);
}

}  // namespace drover::noded
