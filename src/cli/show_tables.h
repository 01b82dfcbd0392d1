// `drover control show node` / `show partition` without a name: one table row per node or
// partition, fitted to the terminal (cli/table.h). scontrol keeps Slurm's Key=Value blocks.
// Pure.
#pragma once

#include <cstddef>
#include <string>

#include "drover/v1/drover.pb.h"

namespace drover::cli {

// NODE STATE CPUS(A/T) MEMORY(A/T) KINDS(FREE/TOTAL) PARTITIONS REASON
std::string NodeTable(const v1::QueryNodesResponse& r, size_t width, bool header);

// UP, DOWN, DRAIN or INACTIVE (an older controller sends only `up`).
std::string PartitionStateText(const v1::PartitionInfo& p);

// PARTITION DEFAULT STATE MAXTIME NODES NODELIST
std::string PartitionTable(const v1::QueryNodesResponse& r, size_t width, bool header);

}  // namespace drover::cli
