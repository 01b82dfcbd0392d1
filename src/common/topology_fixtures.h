// Topology fixtures: machines drover knows the sysfs/procfs shape of, as data, and a writer that
// turns one into a fake /sys + /proc tree that hwloc reads through HWLOC_FSROOT.
//
// The tables come from /work/shared/fixtures/rk3588-topology.md (observed values where the
// machine was seen, values derived with the kernel's formulas where not; see the comments in
// topology_fixtures.cc). They serve the topology tests and `drover local up --like NAME`, which
// makes each local node report one of these machines, so big/little scheduling can be tried on
// a laptop. Pure data plus a writer behind FileSystem; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/file_system.h"
#include "common/topology.h"

namespace drover {

struct FixtureCpu {
  uint32_t cpu = 0;
  uint32_t package_id = 0;     // topology/physical_package_id
  int32_t cluster_id = -1;     // topology/cluster_id; -1: no cluster files (5.10 BSP, plain x86)
  uint32_t core_id = 0;        // topology/core_id
  std::vector<uint32_t> threads;  // SMT siblings including itself (topology/core_cpus)
  uint64_t midr = 0;           // regs/identification/midr_el1 and /proc/cpuinfo; 0 on x86
  uint32_t min_khz = 0, max_khz = 0, base_khz = 0;  // cpufreq/*; 0 = file absent
  uint32_t capacity = 0;       // cpu_capacity; 0 = file absent
  std::string intel_type;      // "core" / "atom": listed in /sys/devices/cpu_{core,atom}/cpus
};

struct TopologyFixture {
  std::string name;         // rk1, rk3588-6x, rk3588-binned, intel-hybrid, x86
  std::string description;
  std::string arch;         // aarch64, x86_64
  std::string kernel;
  std::string model_name;   // x86 /proc/cpuinfo "model name"; empty on arm64
  uint64_t mem_total_kb = 0;
  std::vector<FixtureCpu> cpus;
  // What a reader must find: packages and hwloc Cluster groups.
  uint32_t packages = 0;
  uint32_t clusters = 0;
};

const std::vector<TopologyFixture>& TopologyFixtures();
// nullptr for an unknown name.
const TopologyFixture* FindTopologyFixture(const std::string& name);
// "rk1, rk3588-6x, ..." for messages.
std::string TopologyFixtureNames();

// Writes the fixture's /sys/devices/system/cpu/..., /sys/devices/cpu_{core,atom}/cpus,
// /proc/cpuinfo, /proc/meminfo, /proc/loadavg and /proc/hwloc-nofile-info into `fs` (whose
// root becomes the HWLOC_FSROOT). Existing files are overwritten.
Status WriteFixtureTree(const TopologyFixture& fixture, FileSystem& fs);

// The facts the tables state, without hwloc: what BuildTopology should make of the fixture
// (hwloc's own kinds are left out; core types decide the kinds for every fixture).
TopologyFacts FixtureFacts(const TopologyFixture& fixture);

}  // namespace drover
