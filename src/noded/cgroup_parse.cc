#include "noded/cgroup_parse.h"

#include <algorithm>
#include <string_view>

namespace drover::noded {
namespace {

std::optional<uint64_t> ParseNumber(const std::string& s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return std::nullopt;  // overflow
    v = next;
  }
  return v;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\n") - b + 1);
}

// As std::getline with `sep` would cut it: no final empty piece after a trailing separator.
std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = text.find(sep, at);
    if (end == std::string::npos) {
      out.push_back(text.substr(at));
      break;
    }
    out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// Whitespace-separated words, as `stream >> word` reads them.
std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  const char* ws = " \t\n\v\f\r";
  size_t at = line.find_first_not_of(ws);
  while (at != std::string::npos) {
    const size_t end = line.find_first_of(ws, at);
    out.push_back(line.substr(at, end == std::string::npos ? std::string::npos : end - at));
    at = end == std::string::npos ? end : line.find_first_not_of(ws, end);
  }
  return out;
}

}  // namespace

std::string FormatCpuList(std::vector<uint32_t> cpus) {
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

std::optional<std::vector<uint32_t>> ParseCpuList(const std::string& text) {
  std::vector<uint32_t> out;
  const std::string t = Trim(text);
  if (t.empty()) return out;
  // No string streams: this runs in every batch supervisor, and a stream's locale set-up costs
  // more than the parse (bench/README.md).
  for (const std::string& part : Split(t, ',')) {
    const auto dash = part.find('-');
    auto lo = ParseNumber(part.substr(0, dash));
    auto hi = dash == std::string::npos ? lo : ParseNumber(part.substr(dash + 1));
    if (!lo || !hi || *hi < *lo || *hi > 65535) return std::nullopt;
    for (uint64_t c = *lo; c <= *hi; ++c) out.push_back(static_cast<uint32_t>(c));
  }
  return out;
}

std::optional<uint64_t> ParseCgroupUint(const std::string& text) { return ParseNumber(Trim(text)); }

std::optional<uint64_t> ParseKeyedValue(const std::string& text, const std::string& key) {
  for (const std::string& line : Split(text, '\n')) {
    const auto words = Words(line);
    if (words.size() >= 2 && words[0] == key) return ParseNumber(words[1]);
  }
  return std::nullopt;
}

std::vector<pid_t> ParsePidList(const std::string& text) {
  std::vector<pid_t> out;
  for (const std::string& line : Split(text, '\n')) {
    auto v = ParseNumber(Trim(line));
    if (v && *v > 0 && *v < (1u << 31)) out.push_back(static_cast<pid_t>(*v));
  }
  return out;
}

}  // namespace drover::noded
