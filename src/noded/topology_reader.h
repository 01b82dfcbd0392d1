// Reads the node's topology: hwloc's facts (hwloc_topology.h) completed with what Linux says
// about core types (the ARM MIDR from regs/identification/midr_el1 or /proc/cpuinfo, Intel's
// /sys/devices/cpu_core|cpu_atom/cpus) and memory (/proc/meminfo), then grouped into drover's
// core kinds (common/topology.h). Everything is read under one root, "/" in production, a
// fixture tree for tests and `drover local up --like NAME`.
#pragma once

#include <string>

#include "common/file_system.h"
#include "common/topology.h"

namespace drover::noded {

// Adds core type evidence and MemTotal read through `fs` to `facts` (pure apart from `fs`).
void AddLinuxFacts(const FileSystem& fs, TopologyFacts& facts);

// hwloc on `root` plus AddLinuxFacts on the same root.
Result<NodeTopology> ReadNodeTopology(const std::string& root);

// A fixture's tree is generated into `dir` (replacing what was there) and read back.
Result<NodeTopology> ReadFixtureTopology(const std::string& fixture_name, const std::string& dir);

}  // namespace drover::noded
