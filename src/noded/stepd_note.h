// A line on a supervisor's stderr (its stepd.log), written with write(2): the batch supervisor
// runs in drover-zygote's forks, which carry no iostreams (bench/README.md, "A small supervisor").
#pragma once

#include <unistd.h>

#include <string>

namespace drover::noded {

inline void StepdNote(const std::string& text) {
  const std::string line = "drover-stepd: " + text + "\n";
  (void)!write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace drover::noded
