#include "cli/line_buffer.h"

namespace drover::cli {

std::string LineBuffer::Feed(std::string_view data) {
  std::string out;
  size_t start = 0;
  for (;;) {
    const size_t nl = data.find('\n', start);
    if (nl == std::string_view::npos) break;
    out += label_;
    out += partial_;
    partial_.clear();
    out.append(data.substr(start, nl + 1 - start));
    start = nl + 1;
  }
  partial_.append(data.substr(start));
  // A line that never ends must not grow without bound: past 1 MiB it goes out as it is.
  if (partial_.size() > (1u << 20)) out += Flush();
  return out;
}

std::string LineBuffer::Flush() {
  if (partial_.empty()) return "";
  std::string out = label_ + partial_;
  partial_.clear();
  return out;
}

}  // namespace drover::cli
