// Hostlist expressions as Slurm writes them (CONTRACT.md §8.1): "node[1-2,4]", "n[01-04,7],gpu1".
// Pure functions, no I/O; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace drover {

// Expands an expression into names, order kept, duplicates kept.
// Errors (InvalidArgument, message quotes the offending token): unbalanced brackets, a range
// with lo > hi, more than 65536 names in one range, text after a closing bracket ("node[1-2]-ib").
Result<std::vector<std::string>> ExpandHostlist(std::string_view expr);

// The ranged form Slurm prints: consecutive names with equal prefix and digit width merge into
// prefix[a-b,c]; order is preserved, not sorted. Empty input gives "".
std::string CompressHostlist(const std::vector<std::string>& names);

}  // namespace drover
