// How many nodes a job asks for (-N, -n, --nodelist), read the same way by sbatch, srun and
// salloc, as Slurm does.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::cli {

// A decimal count of at most 9 digits; 0 for anything else (0 itself included).
uint32_t ParseCount(const std::string& text);

// "N" or "MIN-MAX", N >= 1.
Status ParseNodeRange(const std::string& text, uint32_t* min, uint32_t* max);

// Sets the spec's node range from -N (`nodes`, empty when not given) and the spec's ntasks
// and nodelist: without -N, -n tasks may spread over up to that many nodes, packed on the
// fewest that hold them (min_nodes 0 marks this), and a nodelist asks for all of its nodes.
Status SetNodeRange(const std::string& nodes, v1::JobSpec* spec);

}  // namespace drover::cli
