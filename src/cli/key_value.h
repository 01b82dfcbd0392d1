// The KEY=VALUE words of `scontrol update ...` (keys case-insensitive, as Slurm takes them).
// Pure.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace drover::cli {

struct KeyValue {
  std::string key;    // lower-case, for matching
  std::string name;   // as written, for messages
  std::string value;  // as written (may be empty)
};

// Splits each word at its first '='. A word without one is an error that shows `example`.
Result<std::vector<KeyValue>> ParseKeyValues(const std::vector<std::string>& words, const std::string& example);

}  // namespace drover::cli
