#include "noded/hwloc_topology.h"

#include <hwloc.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>

namespace drover::noded {
namespace {

// Sets environment variables for the lifetime of the object and restores the old values.
class ScopedEnv {
 public:
  void Set(const char* name, const std::string& value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        unsetenv(it->first.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

class Topology {
 public:
  Topology() { hwloc_topology_init(&t_); }
  ~Topology() { hwloc_topology_destroy(t_); }
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;
  hwloc_topology_t get() const { return t_; }

 private:
  hwloc_topology_t t_ = nullptr;
};

uint32_t ToUint(const char* text) {
  if (text == nullptr) return 0;
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  return end != text && v > 0 && v < 4e9 ? static_cast<uint32_t>(v) : 0;
}

}  // namespace

std::string HwlocVersion() {
  const unsigned v = hwloc_get_api_version();
  return std::to_string(v >> 16) + "." + std::to_string((v >> 8) & 0xff) + "." + std::to_string(v & 0xff);
}

Result<TopologyFacts> LoadHwlocFacts(const HwlocSource& source) {
  ScopedEnv env;
  const bool fake_root = source.xml_path.empty() && !source.fsroot.empty() && source.fsroot != "/";
  if (fake_root) {
    env.Set("HWLOC_FSROOT", source.fsroot);
    // Without this the x86 backend would mix the build host's CPUID into the fake tree.
    env.Set("HWLOC_COMPONENTS", "linux,stop");
  }
  Topology topo;
  hwloc_topology_t t = topo.get();
  if (!source.xml_path.empty() && hwloc_topology_set_xml(t, source.xml_path.c_str()) != 0) {
    return Status::Unavailable("hwloc cannot read the topology XML " + source.xml_path + ": " + std::strerror(errno));
  }
  if (hwloc_topology_load(t) != 0) {
    return Status::Unavailable("hwloc cannot load the topology" +
                               (fake_root ? " of " + source.fsroot : std::string()) + ": " + std::strerror(errno));
  }

  TopologyFacts facts;
  const char* version = hwloc_obj_get_info_by_name(hwloc_get_root_obj(t), "hwlocVersion");
  facts.source = "hwloc " + (version ? std::string(version) : HwlocVersion()) +
                 (!source.xml_path.empty() ? " from " + source.xml_path : fake_root ? " on " + source.fsroot : "");
  const int npus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
  if (npus <= 0) return Status::Unavailable("hwloc found no CPUs (" + facts.source + ")");
  std::set<hwloc_obj_t> clusters;
  std::map<unsigned, size_t> by_os_index;
  for (int i = 0; i < npus; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, static_cast<unsigned>(i));
    CpuFacts c;
    c.cpu = pu->os_index;
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu);
    c.core = core ? core->logical_index : pu->logical_index;
    hwloc_obj_t package = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_PACKAGE, pu);
    c.package = package ? package->logical_index : 0;
    for (hwloc_obj_t a = pu->parent; a != nullptr; a = a->parent) {
      if (a->type == HWLOC_OBJ_GROUP && a->subtype != nullptr && std::strcmp(a->subtype, "Cluster") == 0) {
        clusters.insert(a);
        c.cluster = static_cast<int32_t>(a->logical_index);
        break;
      }
    }
    by_os_index[c.cpu] = facts.cpus.size();
    facts.cpus.push_back(c);
  }
  facts.packages = static_cast<uint32_t>(std::max(1, hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE)));
  facts.clusters = static_cast<uint32_t>(clusters.size());

  const int nkinds = hwloc_cpukinds_get_nr(t, 0);
  facts.hwloc_kinds = nkinds > 0 ? static_cast<uint32_t>(nkinds) : 0;
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  for (int k = 0; k < nkinds; ++k) {
    int efficiency = -1;
    unsigned nr_infos = 0;
    struct hwloc_info_s* infos = nullptr;
    if (hwloc_cpukinds_get_info(t, static_cast<unsigned>(k), set, &efficiency, &nr_infos, &infos, 0) != 0) continue;
    uint32_t max_mhz = 0, capacity = 0;
    std::string core_type;
    for (unsigned i = 0; i < nr_infos; ++i) {
      const std::string name = infos[i].name ? infos[i].name : "";
      if (name == "FrequencyMaxMHz") max_mhz = ToUint(infos[i].value);
      if (name == "LinuxCapacity") capacity = ToUint(infos[i].value);
      if (name == "CoreType" && infos[i].value) core_type = infos[i].value;
    }
    for (int cpu = hwloc_bitmap_first(set); cpu >= 0; cpu = hwloc_bitmap_next(set, cpu)) {
      auto it = by_os_index.find(static_cast<unsigned>(cpu));
      if (it == by_os_index.end()) continue;
      CpuFacts& c = facts.cpus[it->second];
      c.hwloc_kind = k;
      c.efficiency = efficiency;
      c.max_mhz = max_mhz;
      c.capacity = capacity;
      c.hwloc_core_type = core_type;
    }
  }
  hwloc_bitmap_free(set);
  hwloc_obj_t root = hwloc_get_root_obj(t);
  facts.memory_mb = root ? root->total_memory / (1024 * 1024) : 0;
  return facts;
}

}  // namespace drover::noded
