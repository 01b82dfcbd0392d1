#include "noded/cgroup_parse.h"

#include <algorithm>
#include <sstream>

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
  std::stringstream ss(t);
  std::string part;
  while (std::getline(ss, part, ',')) {
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
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string k, v;
    if (words >> k >> v && k == key) return ParseNumber(v);
  }
  return std::nullopt;
}

std::vector<pid_t> ParsePidList(const std::string& text) {
  std::vector<pid_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto v = ParseNumber(Trim(line));
    if (v && *v > 0 && *v < (1u << 31)) out.push_back(static_cast<pid_t>(*v));
  }
  return out;
}

}  // namespace drover::noded
