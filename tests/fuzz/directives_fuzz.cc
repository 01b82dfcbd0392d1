// Fuzzes the batch script directive parser (cli/directives.h): ExtractDirectives on the whole
// input as a script, and ShellSplit on each of its lines. Must never crash; every directive word
// must come from the script's text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cli/directives.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view script(reinterpret_cast<const char*>(data), size);
  drover::Result<drover::cli::Directives> directives = drover::cli::ExtractDirectives(script);
  if (directives.ok()) {
    size_t total = 0;
    for (const std::string& word : directives->args) total += word.size();
    if (total > script.size()) std::abort();
  }
  size_t pos = 0;
  while (pos <= script.size()) {
    size_t end = script.find('\n', pos);
    if (end == std::string_view::npos) end = script.size();
    drover::Result<std::vector<std::string>> words =
        drover::cli::ShellSplit(script.substr(pos, end - pos));
    if (words.ok()) {
      size_t total = 0;
      for (const std::string& word : *words) total += word.size();
      // Quotes and escapes only ever remove characters.
      if (total > end - pos) std::abort();
    }
    pos = end + 1;
  }
  return 0;
}
