// `#SBATCH` / `#DROVER` directives in a batch script (CONTRACT.md §8.9). Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace drover::cli {

// Splits like a POSIX shell: whitespace separates words, single and double quotes group,
// backslash escapes, an unquoted '#' at a word start begins a comment that runs to the end.
// InvalidArgument on an unterminated quote.
Result<std::vector<std::string>> ShellSplit(std::string_view line);

struct Directives {
  std::vector<std::string> args;       // every option word, in script order
  std::vector<std::string> warnings;   // e.g. "#SLURM directives are deprecated, use #SBATCH"
};

// Collects the words of directive lines that come before the first line that is neither blank
// nor a comment (the shebang is a comment). `#SBATCH` and `#DROVER` lines are read; `#SLURM`
// lines are read with a warning. Errors name the line number and the problem.
Result<Directives> ExtractDirectives(std::string_view script);

}  // namespace drover::cli
