// Line assembly for one task's output stream in srun (SR-6: whole lines, never a line mixed
// with another task's). Pure.
#pragma once

#include <string>
#include <string_view>

namespace drover::cli {

// Feed() returns the complete lines to print now, each preceded by the label (srun -l);
// Flush() returns the unfinished rest at the end of the stream. A line that grows past 1 MiB
// without a newline is let out as it is, so memory stays bounded.
class LineBuffer {
 public:
  explicit LineBuffer(std::string label = "") : label_(std::move(label)) {}
  std::string Feed(std::string_view data);
  std::string Flush();

 private:
  std::string label_;
  std::string partial_;
};

}  // namespace drover::cli
