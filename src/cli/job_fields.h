// How a job's fields print in squeue (the `%` letters of CONTRACT.md §8.6) and in the native
// queue table. Pure: `now` is passed in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "drover/v1/drover.pb.h"

namespace drover::cli {

// How squeue and sacct spell a job's id (CONTRACT.md §8.4): "12", an array element "12_7",
// an array's not-started remainder "12_[8-15%2]" (never the `a-b:step` form).
std::string JobIdText(const v1::JobInfo& job);

// Whether `job` is the pending record of array `array_id` and `index` one of its not-started
// elements ("3-4,7%2" holds 3, 4 and 7).
bool PendingRecordHas(const v1::JobInfo& job, uint64_t array_id, uint64_t index);
// Whether `job` is what "12" (a job, or every element of array 12) or "12_7" (one element:
// started, or not yet and so its array's pending record) names.
bool NamedBy(const v1::JobInfo& job, std::string_view id_text);

// The text of squeue field `code` for `job`; "" for letters drover does not know.
std::string SqueueField(const v1::JobInfo& job, char code, int64_t now);
// SqueueField appended to `out`: the hot letters of a listing without a string per field.
void AppendSqueueField(std::string* out, const v1::JobInfo& job, char code, int64_t now);
// Which parts of each job (bits of v1::JobInfoPart, QueryJobsRequest.omit) a listing with these
// field letters can do without: the spec beyond its brief fields unless a letter needs more
// (e.g. %Z, or a letter this code does not know), the steps unless `steps` (squeue -s), and the
// usage, which no letter shows.
uint32_t OmittableJobParts(std::string_view codes, bool steps);
// %Q and %p of a job whose priority is `priority`, as Slurm prints them: the number, and the
// number over 2^32-1 with 14 decimals.
std::string PriorityField(char code, int64_t priority);
// The column header squeue prints for `code`.
std::string SqueueHeader(char code);
// The default squeue format, as Slurm's.
inline constexpr const char* kSqueueDefaultFormat = "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R";

}  // namespace drover::cli
