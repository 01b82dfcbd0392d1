#include "cli/node_count.h"

#include <algorithm>
#include <cctype>

namespace drover::cli {

uint32_t ParseCount(const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return 0;
  }
  return static_cast<uint32_t>(std::stoul(text));
}

Status ParseNodeRange(const std::string& text, uint32_t* min, uint32_t* max) {
  const auto dash = text.find('-');
  const uint32_t lo = ParseCount(text.substr(0, dash));
  const uint32_t hi = dash == std::string::npos ? lo : ParseCount(text.substr(dash + 1));
  if (lo == 0 || hi < lo) {
    return Status::InvalidArgument("invalid node count '" + text + "': use N or MIN-MAX with N >= 1");
  }
  *min = lo;
  *max = hi;
  return Status::Ok();
}

Status SetNodeRange(const std::string& nodes, v1::JobSpec* spec) {
  uint32_t lo = 1, hi = 1;
  if (!nodes.empty()) {
    DROVER_RETURN_IF_ERROR(ParseNodeRange(nodes, &lo, &hi));
  } else if (spec->nodelist_size() > 0) {
    lo = hi = static_cast<uint32_t>(spec->nodelist_size());
  } else if (spec->ntasks() > 1) {
    // 0 tells the scheduler that no -N was given: it packs the tasks on the fewest nodes.
    lo = 0;
    hi = spec->ntasks();
  }
  spec->set_min_nodes(lo);
  spec->set_max_nodes(hi);
  return Status::Ok();
}

}  // namespace drover::cli
