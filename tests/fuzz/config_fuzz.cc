// Fuzzes the configuration loader (common/config.h) with arbitrary text: every input must give
// a Config or an error that names the file, never a crash or an escaped exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  drover::Result<drover::Config> config = drover::ParseConfig(text, "fuzz.yaml");
  if (!config.ok() && config.status().message().find("fuzz.yaml") == std::string::npos) {
    std::abort();
  }
  return 0;
}
