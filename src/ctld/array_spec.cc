#include "ctld/array_spec.h"

#include <bit>
#include <charconv>

namespace drover::ctld {
namespace {

Result<uint32_t> ParseNumber(std::string_view s, std::string_view what) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return Status::InvalidArgument("invalid " + std::string(what) + " \"" + std::string(s) + "\"");
  }
  if (v > kMaxArrayIndex) {
    return Status::InvalidArgument(std::string(what) + " " + std::string(s) + " is above the limit of " +
                                   std::to_string(kMaxArrayIndex));
  }
  return static_cast<uint32_t>(v);
}

}  // namespace

void IndexSet::Add(uint32_t i) {
  const size_t w = i / 64;
  if (w >= words_.size()) words_.resize(w + 1, 0);
  const uint64_t bit = uint64_t{1} << (i % 64);
  if (!(words_[w] & bit)) {
    words_[w] |= bit;
    ++count_;
  }
}

void IndexSet::Remove(uint32_t i) {
  const size_t w = i / 64;
  if (w >= words_.size()) return;
  const uint64_t bit = uint64_t{1} << (i % 64);
  if (words_[w] & bit) {
    words_[w] &= ~bit;
    --count_;
  }
}

bool IndexSet::Contains(uint32_t i) const {
  const size_t w = i / 64;
  return w < words_.size() && (words_[w] >> (i % 64)) & 1;
}

std::optional<uint32_t> IndexSet::NextFrom(uint32_t from) const {
  size_t w = from / 64;
  if (w >= words_.size()) return std::nullopt;
  uint64_t bits = words_[w] & (~uint64_t{0} << (from % 64));
  for (;;) {
    if (bits) return static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits)));
    if (++w >= words_.size()) return std::nullopt;
    bits = words_[w];
  }
}

std::optional<uint32_t> IndexSet::Last() const {
  for (size_t w = words_.size(); w-- > 0;) {
    if (words_[w]) return static_cast<uint32_t>(w * 64 + 63 - static_cast<size_t>(std::countl_zero(words_[w])));
  }
  return std::nullopt;
}

std::string IndexSet::Ranges() const {
  std::string out;
  auto i = First();
  while (i) {
    uint32_t end = *i;
    while (Contains(end + 1)) ++end;
    if (!out.empty()) out += ',';
    out += std::to_string(*i);
    if (end != *i) {
      // Two appends, not "-" + to_string(): gcc 12 at -O3 warns falsely (-Wrestrict) on the latter.
      out += '-';
      out += std::to_string(end);
    }
    i = NextFrom(end + 1);
  }
  return out;
}

Result<IndexSet> IndexSet::Parse(std::string_view text) {
  IndexSet set;
  if (text.empty()) return Status::InvalidArgument("empty array index list");
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(pos, comma - pos);
    if (item.empty()) return Status::InvalidArgument("empty item in array index list \"" + std::string(text) + "\"");
    uint32_t step = 1;
    if (auto colon = item.find(':'); colon != std::string_view::npos) {
      auto s = ParseNumber(item.substr(colon + 1), "array step");
      if (!s.ok()) return s.status();
      if (*s == 0) return Status::InvalidArgument("array step must be at least 1");
      step = *s;
      item = item.substr(0, colon);
    }
    const size_t dash = item.find('-');
    auto lo = ParseNumber(item.substr(0, dash), "array index");
    if (!lo.ok()) return lo.status();
    uint32_t hi = *lo;
    if (dash != std::string_view::npos) {
      auto h = ParseNumber(item.substr(dash + 1), "array index");
      if (!h.ok()) return h.status();
      if (*h < *lo) {
        return Status::InvalidArgument("array range \"" + std::string(item) + "\" ends before it starts");
      }
      hi = *h;
    }
    for (uint64_t i = *lo; i <= hi; i += step) set.Add(static_cast<uint32_t>(i));
    pos = comma + 1;
  }
  return set;
}

Result<ArraySpec> ParseArraySpec(std::string_view text) {
  ArraySpec spec;
  std::string_view list = text;
  if (auto pct = text.find('%'); pct != std::string_view::npos) {
    auto m = ParseNumber(text.substr(pct + 1), "array throttle (%M)");
    if (!m.ok()) return m.status().WithContext("--array");
    if (*m == 0) return Status::InvalidArgument("--array: the throttle %M must be at least 1");
    spec.max_running = *m;
    list = text.substr(0, pct);
  }
  auto set = IndexSet::Parse(list);
  if (!set.ok()) return set.status().WithContext("--array");
  spec.indices = std::move(*set);
  spec.min = *spec.indices.First();
  spec.max = *spec.indices.Last();
  spec.count = spec.indices.Count();
  if (spec.count > 1) {
    // The common distance if every index is evenly spaced, else 1.
    const uint32_t second = *spec.indices.NextFrom(spec.min + 1);
    const uint32_t step = second - spec.min;
    bool even = uint64_t{spec.max - spec.min} == uint64_t{step} * (spec.count - 1);
    for (uint32_t i = spec.min; even && i <= spec.max; i += step) even = spec.indices.Contains(i);
    spec.step = even ? step : 1;
  }
  return spec;
}

std::string ExpandArrayPattern(std::string_view pattern, uint64_t array_job_id, uint32_t task_id) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    size_t j = i + 1;
    while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9') ++j;
    if (j < pattern.size() && (pattern[j] == 'A' || pattern[j] == 'a')) {
      const size_t width = j > i + 1 ? std::stoul(std::string(pattern.substr(i + 1, j - i - 1))) : 0;
      std::string v = pattern[j] == 'A' ? std::to_string(array_job_id) : std::to_string(task_id);
      if (v.size() < width) v.insert(0, std::min<size_t>(width, 64) - v.size(), '0');
      out += v;
    } else {
      // Not ours: keep it whole (also the second '%' of "%%") for the node to expand.
      out.append(pattern.substr(i, j - i + (j < pattern.size() ? 1 : 0)));
    }
    i = j;
  }
  return out;
}

Result<JobIdSpec> ParseJobIdSpec(std::string_view text) {
  JobIdSpec spec;
  const size_t us = text.find('_');
  std::string_view id = text.substr(0, us);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (id.empty() || ec != std::errc() || end != id.data() + id.size() || v == 0) {
    return Status::InvalidArgument("invalid job id \"" + std::string(text) + "\"");
  }
  spec.job_id = v;
  if (us == std::string_view::npos) return spec;
  std::string_view tasks = text.substr(us + 1);
  if (tasks.size() >= 2 && tasks.front() == '[' && tasks.back() == ']') tasks = tasks.substr(1, tasks.size() - 2);
  // A throttle inside the brackets (as squeue prints it) names no extra indices.
  if (auto pct = tasks.find('%'); pct != std::string_view::npos) tasks = tasks.substr(0, pct);
  auto set = IndexSet::Parse(tasks);
  if (!set.ok()) return Status::InvalidArgument("invalid job id \"" + std::string(text) + "\": " + set.status().message());
  spec.tasks = std::move(*set);
  return spec;
}

}  // namespace drover::ctld
