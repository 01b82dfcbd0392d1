// Fuzzes the hostlist parser (common/hostlist.h). Property: for any expression that expands,
// compressing the names and expanding again gives the same names in the same order.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/hostlist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view expr(reinterpret_cast<const char*>(data), size);
  drover::Result<std::vector<std::string>> names = drover::ExpandHostlist(expr);
  if (!names.ok()) {
    if (names.status().message().empty()) std::abort();
    return 0;
  }
  const std::string compressed = drover::CompressHostlist(*names);
  drover::Result<std::vector<std::string>> again = drover::ExpandHostlist(compressed);
  if (!again.ok() || *again != *names) std::abort();
  return 0;
}
