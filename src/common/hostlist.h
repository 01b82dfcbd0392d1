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
// with lo > hi, more than 65536 names in one range, text after a closing bracket ("node[1-2]-ib"),
// more than two bracket groups in one name, more than 1048576 names in total.
Result<std::vector<std::string>> ExpandHostlist(std::string_view expr);

// The ranged form Slurm prints: consecutive names with equal prefix and digit width merge into
// prefix[a-b,c]; order is preserved, not sorted. Empty input gives "". Unpadded numbers of
// different lengths count as one width (n9,n10 -> n[9-10]), as Slurm's _width_equiv decides.
// ExpandHostlist(CompressHostlist(names)) == names for names without separators or brackets.
std::string CompressHostlist(const std::vector<std::string>& names);

}  // namespace drover
