// Local-time stamps the CLI prints. One place so that squeue, scontrol, sacct and the progress
// lines of `drover submit --wait` agree.
#pragma once

#include <cstdint>
#include <string>

namespace drover::cli {

// strftime(format) of a Unix time in the local zone.
std::string FormatLocalTime(int64_t unix_seconds, const char* format);

// Slurm's stamp, 2026-03-01T12:00:00; "N/A" for 0.
std::string FormatTimestamp(int64_t unix_seconds);

// The clock time alone, 12:00:00; "?" for 0.
std::string FormatClock(int64_t unix_seconds);

}  // namespace drover::cli
