// A node's CPU topology as drover uses it, and the pure rules that build it from raw facts.
//
// noded's hwloc adapter (noded/hwloc_topology.h) and its sysfs reader collect TopologyFacts:
// one entry per CPU (an OS CPU id, a "PU" in hwloc's words) with its core, package, cluster,
// hwloc CPU kind and that kind's attributes, and the core type evidence Linux exposes (the ARM
// MIDR, Intel's cpu_core/cpu_atom lists). BuildTopology groups CPUs into drover core kinds by
// core TYPE first (Cortex-A76 vs Cortex-A55, Intel P- vs E-core) and only falls back to hwloc's
// kinds when nothing names the type: hwloc's kinds are split by frequency and capacity, so a
// binned RK3588 (A76 clusters at 2304 and 2352 MHz) has three hwloc kinds but two core types
// (rk3588-topology.md §3). Kinds are named by speed: one kind is "default", two are "big" and
// "little", three "big", "medium", "little".
// Everything here is pure (no I/O) and thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover {

// What is known about one CPU.
struct CpuFacts {
  uint32_t cpu = 0;        // OS index (Linux CPU number)
  uint32_t core = 0;       // the node-wide index of its core (hwloc logical index)
  uint32_t package = 0;    // logical index of its package
  int32_t cluster = -1;    // logical index of its cluster; -1 when hwloc made none
  int32_t hwloc_kind = -1; // hwloc cpukind index; -1 when hwloc reported none
  int32_t efficiency = -1; // hwloc's efficiency rank of that kind (higher = faster); -1 unknown
  uint32_t max_mhz = 0;    // FrequencyMaxMHz; 0 unknown
  uint32_t capacity = 0;   // LinuxCapacity (cpu_capacity); 0 unknown
  std::string hwloc_core_type;  // hwloc's CoreType info: IntelCore, IntelAtom, IntelLowPower
  uint64_t midr = 0;            // ARM MIDR_EL1; 0 unknown
  std::string linux_core_type;  // "core" / "atom" from /sys/devices/cpu_{core,atom}/cpus
};

struct TopologyFacts {
  std::vector<CpuFacts> cpus;
  uint32_t packages = 0;
  uint32_t clusters = 0;  // hwloc's Cluster groups; 0 when it made none
  uint32_t hwloc_kinds = 0;
  uint64_t memory_mb = 0;
  std::string source;     // where the facts came from, for messages ("hwloc 2.9.0 on /")
};

// A core type and how it ranks against others when nothing better is known.
struct CoreType {
  std::string name;  // "Cortex-A76", "Intel P-core"; "" when nothing names it
  int tier = -1;     // 0 efficiency core, 1 performance core, 2 prime core; -1 unknown
};

// The core type of one CPU from its MIDR (ARM) or Intel core type; hwloc's kinds are not
// consulted here (see the file comment).
CoreType ClassifyCore(const CpuFacts& cpu);

// ARM MIDR_EL1 fields (as hwloc's MIDR_* macros).
inline uint32_t MidrImplementer(uint64_t midr) { return static_cast<uint32_t>((midr >> 24) & 0xff); }
inline uint32_t MidrPart(uint64_t midr) { return static_cast<uint32_t>((midr >> 4) & 0xfff); }

// One drover core kind of a node.
struct TopologyKind {
  std::string name;        // "big", "little", "default", ...
  std::string core_type;   // "Cortex-A76"; "" unknown
  std::vector<uint32_t> cpu_ids;  // ascending
  uint32_t cores = 0;      // physical cores (an SMT core has several CPUs)
  uint32_t capacity = 0;   // the highest LinuxCapacity among its CPUs; 0 unknown
  uint32_t max_mhz = 0;    // the highest FrequencyMaxMHz among its CPUs; 0 unknown
  uint32_t min_max_mhz = 0;  // the lowest, to show binned clusters
  uint32_t hwloc_kinds = 0;  // how many hwloc kinds it spans
};

struct NodeTopology {
  std::vector<TopologyKind> kinds;  // fastest first
  uint32_t packages = 0;
  uint32_t clusters = 0;
  uint32_t cores = 0;
  uint32_t cpus = 0;
  uint32_t hwloc_kinds = 0;
  uint64_t memory_mb = 0;
  std::string source;

  const TopologyKind* FindKind(const std::string& name) const;
};

// Groups the CPUs into kinds (file comment). REQUIRES: facts.cpus have distinct cpu ids.
NodeTopology BuildTopology(const TopologyFacts& facts);

// Kind names for `n` kinds, fastest first: default; big, little; big, medium, little; ...
std::vector<std::string> KindNames(size_t n);

// The node's entry for drover.yaml (like `slurmd -C`), as YAML that can be pasted under
// `nodes:`, preceded by comment lines describing each kind and a `kinds:` line when there
// is more than one kind, e.g.
//   kinds: [big, little]
//   nodes:
//     - names: node1
//       cores: {big: {cpus: "4-7", capacity: 1024}, little: {cpus: "0-3", capacity: 414}}
//       memory: 15623M
std::string FormatConfigEntry(const NodeTopology& topology, const std::string& node_name);
// The flow-style pieces of that entry, for writers of whole files (drover local up):
// `cores: {...}` or `cpus: N` for a single kind, and `[big, little]` (empty for one kind).
std::string CoresYaml(const NodeTopology& topology);
std::string KindsYaml(const NodeTopology& topology);
// "4 big + 4 little" (a single default kind: "8").
std::string KindSummary(const NodeTopology& topology);

// Linux CPU list text: "0-3,6" <-> {0,1,2,3,6}. Parse accepts surrounding whitespace and an
// empty list; nullopt for anything malformed.
std::optional<std::vector<uint32_t>> ParseCpuList(const std::string& text);
std::string FormatCpuList(const std::vector<uint32_t>& ids);

// Parsers for /proc files, tolerant of the spacing real kernels use.
// /proc/cpuinfo: each "processor" block's MIDR rebuilt from "CPU implementer", "CPU variant",
// "CPU part", "CPU revision" (arm64); CPUs without those fields are absent.
std::vector<std::pair<uint32_t, uint64_t>> ParseCpuinfoMidr(const std::string& text);
// /proc/meminfo: the value of `key` ("MemTotal") in MB; nullopt if absent.
std::optional<uint64_t> ParseMeminfoMB(const std::string& text, const std::string& key);
// /proc/loadavg: the 1-minute load; nullopt if malformed.
std::optional<double> ParseLoadavg(const std::string& text);

// Host CPUs for a cpuset when a node pretends to have another machine's topology (drover local
// up --like rk1 on a laptop): fixture CPU id i becomes host_cpus[i modulo their count] (the
// CPUs this process may use), sorted, distinct. REQUIRES: host_cpus is not empty.
std::vector<uint32_t> MapToHostCpus(const std::vector<uint32_t>& ids, const std::vector<uint32_t>& host_cpus);

}  // namespace drover
