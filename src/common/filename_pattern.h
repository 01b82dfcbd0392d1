// Output file name patterns (CONTRACT.md §8.8): %% %A %a %j %J %N %n %s %t %u %x, with an
// optional zero-pad width between % and the letter ("%4t" -> "0003"). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drover {

struct FilenameContext {
  uint64_t job_id = 0;
  std::optional<uint64_t> array_job_id;   // %A; job id when absent
  std::optional<uint32_t> array_task_id;  // %a; "4294967294" (Slurm's NO_VAL) when absent
  std::optional<std::string> step;        // %s; "batch" for the batch script; %J adds ".step"
  std::string node_name;                  // %N
  uint32_t node_index = 0;                // %n
  uint32_t task_id = 0;                   // %t
  std::string user;                       // %u
  std::string job_name;                   // %x
};

// Unknown %X sequences are kept literally, as Slurm does.
std::string ExpandFilenamePattern(std::string_view pattern, const FilenameContext& ctx);

}  // namespace drover
