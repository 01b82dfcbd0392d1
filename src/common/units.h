// Slurm's value grammar (CONTRACT.md §8.7) and the display forms squeue/sinfo use. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace drover {

// Minutes meaning "no limit".
inline constexpr uint32_t kUnlimitedMinutes = 0xFFFFFFFFu;

// "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S", "UNLIMITED"/"INFINITE" -> minutes, seconds
// rounded up (Slurm: "1:30" is 2 minutes). Slurm's "-1" also means unlimited. Errors name the
// accepted forms.
Result<uint32_t> ParseTimeLimitMinutes(std::string_view text);

// `current` moved by `delta_minutes` (scontrol update TimeLimit+=N / -=N). Errors: the limit
// is UNLIMITED (nothing to add to, as Slurm refuses), the result would be 0 or less, or it would
// reach UNLIMITED.
Result<uint32_t> MoveTimeLimit(uint32_t current, int64_t delta_minutes);

// Integer with optional K/M/G/T (case-insensitive), optional trailing B; no suffix = MB.
// Result is in MB, rounded up for K. Errors name the accepted forms.
Result<uint64_t> ParseMemoryMB(std::string_view text);

// Durations as squeue prints them (%M, %L): "M:SS", "H:MM:SS", "D-HH:MM:SS"; "INVALID" when
// negative, as Slurm's secs2time_str.
std::string FormatDuration(int64_t seconds);

// A time limit as sinfo/squeue print it (%l): "UNLIMITED" or FormatDuration(minutes*60).
std::string FormatTimeLimit(uint32_t minutes);

// Human-readable memory for the native CLI: "512M", "15.6G", "2.0T".
std::string FormatMemoryHuman(uint64_t mb);

}  // namespace drover
