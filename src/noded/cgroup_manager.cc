#include "noded/cgroup_manager.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace drover::noded {

std::string CgroupSupport::Describe() const {
  if (version == 0) return "none" + (note.empty() ? std::string() : " (" + note + ")");
  std::string out = "v" + std::to_string(version);
  if (!missing.empty()) {
    out += " (missing:";
    for (const auto& m : missing) out += " " + m;
    out += ")";
  }
  return out;
}

bool CgroupSupport::Has(const std::string& controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::vector<uint64_t> RemoveStaleCgroups(CgroupManager& cgroups, const std::vector<uint64_t>& running) {
  std::vector<uint64_t> removed;
  for (uint64_t id : cgroups.ListJobs()) {
    if (std::find(running.begin(), running.end(), id) != running.end()) continue;
    if (!cgroups.Processes(id).empty()) (void)cgroups.KillAll(id);
    for (int i = 0; i < 100 && !cgroups.Processes(id).empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (cgroups.Remove(id).ok()) removed.push_back(id);
  }
  return removed;
}

}  // namespace drover::noded
