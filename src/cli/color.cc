#include "cli/color.h"
#include "common/text.h"

#include <algorithm>
#include <cctype>

namespace drover::cli {
namespace {

constexpr std::string_view kGreen = "\033[32m";
constexpr std::string_view kYellow = "\033[33m";
constexpr std::string_view kRed = "\033[31m";
constexpr std::string_view kMagenta = "\033[35m";

std::string Upper(std::string_view s) {
  std::string out = AsciiUpper(s);
  // Slurm marks states: "down*" (not responding), "idle~" (powered off), "mix-" ...
  while (!out.empty() && !std::isalpha(static_cast<unsigned char>(out.back()))) out.pop_back();
  return out;
}

bool In(const std::string& s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

}  // namespace

bool ShouldColor(bool no_color_flag, bool is_terminal, const char* no_color_env, const char* term) {
  if (no_color_flag || !is_terminal) return false;
  if (no_color_env != nullptr && *no_color_env != '\0') return false;
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return true;
}

std::string_view StateColor(std::string_view state) {
  const std::string s = Upper(state);
  if (In(s, {"RUNNING", "R", "IDLE", "COMPLETING", "CG", "UP"})) return kGreen;
  if (In(s, {"PENDING", "PD", "MIXED", "MIX", "ALLOCATED", "ALLOC", "DRAINING", "DRNG"})) return kYellow;
  if (In(s, {"FAILED", "F", "TIMEOUT", "TO", "NODE_FAIL", "NF", "OUT_OF_MEMORY", "OOM", "DOWN", "DRAINED",
             "DRAIN", "BOOT_FAIL", "BF", "UNKNOWN", "UNK"})) {
    return kRed;
  }
  if (In(s, {"CANCELLED", "CA"})) return kMagenta;
  return {};
}

std::string Paint(std::string_view text, std::string_view sgr) {
  if (sgr.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size() + sgr.size() + 4);
  out += sgr;
  out += text;
  out += "\033[0m";
  return out;
}

}  // namespace drover::cli
