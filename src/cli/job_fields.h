// How a job's fields print in squeue (the `%` letters of CONTRACT.md §8.6) and in the native
// queue table. Pure: `now` is passed in.
#pragma once

#include <cstdint>
#include <string>

#include "drover/v1/drover.pb.h"

namespace drover::cli {

// How squeue and sacct spell a job's id (CONTRACT.md §8.4): "12", an array element "12_7",
// an array's not-started remainder "12_[8-15%2]" (never the `a-b:step` form).
std::string JobIdText(const v1::JobInfo& job);

// The text of squeue field `code` for `job`; "" for letters drover does not know.
std::string SqueueField(const v1::JobInfo& job, char code, int64_t now);
// The column header squeue prints for `code`.
std::string SqueueHeader(char code);
// The default squeue format, as Slurm's.
inline constexpr const char* kSqueueDefaultFormat = "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R";

}  // namespace drover::cli
