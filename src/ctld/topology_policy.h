// The topology policy (DESIGN.md, The node daemon): how a node's registered hardware report
// is weighed against its configuration entry. Pure functions; the controller applies them in
// its registration path (strict: INVALID with the shortfall as reason; config: log the
// difference once; hardware: ApplyHardware).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config.h"

namespace drover::ctld {

// What a node daemon reported at registration (RegisterNodeRequest's topology fields).
struct HardwareReport {
  std::vector<CoreKindConfig> kinds;  // fastest first
  uint64_t memory_mb = 0;
  uint32_t packages = 0;
  uint32_t clusters = 0;
  std::string source;
};

struct TopologyComparison {
  // Where the hardware has less than the entry (strict makes the node INVALID with it), e.g.
  // "config says 4 big + 4 little cores, hardware has 4 big + 2 little". Empty: none.
  std::string shortfall;
  // Every difference, shortfalls included (also more cores than configured, other kind names
  // or ids). Empty: the entry matches the hardware.
  std::string difference;
};

// A config entry with `cpus: N` only (the kind "default") is compared by count and ids; an
// entry with kinds is compared kind by kind: the hardware must have every configured CPU id
// under the same kind name. Memory counts only when the hardware has less.
TopologyComparison CompareTopology(const NodeConfig& config, const HardwareReport& hw);

// The entry with the report's cores (by kind, with capacities) and memory.
NodeConfig ApplyHardware(const NodeConfig& config, const HardwareReport& hw);

// "4 big + 4 little cores, 15671M, 3 packages, 0 clusters" for sinfo/scontrol and logs.
std::string DescribeHardware(const HardwareReport& hw);

// The kinds to schedule with, fastest first: `configured` then kinds only reports brought in
// (hardware policy), ranked big, medium..., little, default, then by name.
std::vector<std::string> MergeKinds(const std::vector<std::string>& configured,
                                    const std::vector<std::string>& reported);

}  // namespace drover::ctld
