// The table `drover queue` prints. Pure: width 0 means not a terminal (nothing is cut).
#pragma once

#include <cstddef>
#include <string>

#include "drover/v1/drover.pb.h"

namespace drover::cli {

// JOBID PARTITION NAME USER STATE TIME TIME_LIMIT NODES CPUS NODELIST(REASON); on a narrow
// terminal NAME, USER, PARTITION and NODELIST(REASON) are cut first. "(no jobs)" when empty.
// Its field letters (squeue's), in column order.
inline constexpr const char* kQueueTableCodes = "iPjuTMlDCR";
std::string QueueTable(const v1::QueryJobsResponse& jobs, size_t width, bool header, bool color);

}  // namespace drover::cli
