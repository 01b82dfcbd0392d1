#include "cli/key_value.h"

#include "common/text.h"

namespace drover::cli {

Result<std::vector<KeyValue>> ParseKeyValues(const std::vector<std::string>& words, const std::string& example) {
  std::vector<KeyValue> out;
  for (const std::string& w : words) {
    const auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("expected KEY=VALUE, got '" + w + "' (" + example + ")");
    }
    out.push_back({AsciiLower(w.substr(0, eq)), w.substr(0, eq), w.substr(eq + 1)});
  }
  return out;
}

}  // namespace drover::cli
