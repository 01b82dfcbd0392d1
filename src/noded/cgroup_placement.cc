#include "noded/cgroup_placement.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace drover::noded {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }
std::string Dirname(const std::string& path) { return path.substr(0, path.rfind('/')); }

CgroupPlacement Fixed(std::string note) { return {kFixedCgroupParent, "", std::move(note)}; }

}  // namespace

std::optional<std::string> ParseOwnCgroupV2(const std::string& proc_self_cgroup) {
  std::istringstream in(proc_self_cgroup);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return std::nullopt;
}

CgroupPlacement PlaceJobCgroups(const std::string& configured, int cgroup_version,
                                const std::optional<std::string>& own, bool delegated) {
  if (configured != kAutoCgroupParent) return {configured, "", ""};
  if (cgroup_version != 2) return Fixed("");
  if (!own || own->empty() || *own == "/" || own->front() != '/') {
    return Fixed("not in a delegated cgroup");
  }
  const std::string path = own->substr(1);  // relative to the mount
  if (Basename(path) == kNodedLeaf && EndsWith(Dirname(path), ".service")) {
    // systemd's DelegateSubgroup=noded (it implies Delegate=yes): the unit's cgroup is ours.
    const std::string unit = Dirname(path);
    return {unit + "/jobs", "", "inside " + unit + ", delegated by systemd"};
  }
  if (delegated && EndsWith(path, ".scope")) {
    return {path + "/jobs", path + "/" + kNodedLeaf, "inside the delegated scope " + path};
  }
  if (delegated && EndsWith(path, ".service")) {
    return Fixed("the unit " + path + " is delegated but systemd started noded in it, not in a subgroup: "
                 "set DelegateSubgroup=noded (systemd 254 or later) to keep job cgroups inside it");
  }
  return Fixed("not in a delegated cgroup");
}

CgroupPlacement ResolveCgroupPlacement(const FileSystem& fs, const std::string& configured,
                                       const CgroupMounts& mounts) {
  if (configured != kAutoCgroupParent || mounts.version != 2) {
    return PlaceJobCgroups(configured, mounts.version, std::nullopt, false);
  }
  auto text = fs.ReadFile("/proc/self/cgroup");
  const std::optional<std::string> own = text.ok() ? ParseOwnCgroupV2(*text) : std::nullopt;
  bool delegated = false;
  if (own) {
    // systemd marks the cgroups it delegates (Delegate=yes) with trusted.delegate=1.
    char value[8] = {};
    const std::string dir = mounts.unified + *own;
    const ssize_t n = getxattr(dir.c_str(), "trusted.delegate", value, sizeof value - 1);
    delegated = n > 0 && value[0] == '1';
  }
  return PlaceJobCgroups(configured, mounts.version, own, delegated);
}

Status MoveSelf(const CgroupMounts& mounts, const CgroupPlacement& placement, pid_t pid) {
  if (placement.move_self_to.empty()) return Status::Ok();
  if (mounts.version != 2) return Status::Unsupported("moving into a delegated cgroup needs cgroup v2");
  const std::string dir = mounts.unified + "/" + placement.move_self_to;
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::IoError("cannot create cgroup " + dir + ": " + std::strerror(errno));
  }
  const std::string procs = dir + "/cgroup.procs";
  const int fd = open(procs.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot open " + procs + ": " + std::strerror(errno));
  const std::string text = std::to_string(pid);
  const ssize_t n = write(fd, text.data(), text.size());
  const int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return Status::IoError("cannot move noded into " + dir + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace drover::noded
