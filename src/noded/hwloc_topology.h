// The one place that talks to hwloc (STYLE.md §6.10): loads the topology of this machine, of a
// fake sysfs/procfs tree (HWLOC_FSROOT) or of an exported XML file, and converts it to
// TopologyFacts (common/topology.h): per CPU its core, package, cluster and hwloc CPU kind with
// the kind's attributes (efficiency, FrequencyMaxMHz, LinuxCapacity, CoreType).
//
// HWLOC_FSROOT is process-global and read inside hwloc_topology_load(), so loading from a root
// other than "/" sets it for the duration of the call: not safe to call concurrently from
// several threads (noded calls it once at start; tests run each case in its own process).
#pragma once

#include <string>

#include "common/status.h"
#include "common/topology.h"

namespace drover::noded {

struct HwlocSource {
  std::string fsroot = "/";  // a fake tree's root; "/" for this machine
  std::string xml_path;      // if set, load this exported topology instead
};

// Unavailable with hwloc's complaint if the topology cannot be loaded.
Result<TopologyFacts> LoadHwlocFacts(const HwlocSource& source);

// The hwloc API version compiled against, e.g. "2.8.0" for hwloc 2.9.
std::string HwlocVersion();

}  // namespace drover::noded
