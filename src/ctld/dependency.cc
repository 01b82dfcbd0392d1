#include "ctld/dependency.h"

#include <algorithm>
#include <charconv>

namespace drover::ctld {
namespace {

Result<DependencyType> ParseType(std::string_view t) {
  if (t == "after") return DependencyType::kAfter;
  if (t == "afterany") return DependencyType::kAfterAny;
  if (t == "afterok") return DependencyType::kAfterOk;
  if (t == "afternotok") return DependencyType::kAfterNotOk;
  return Status::InvalidArgument("unknown dependency type \"" + std::string(t) +
                                 "\": use after, afterany, afterok, afternotok or singleton");
}

Result<DependencyItem> ParseTarget(DependencyType type, std::string_view s) {
  DependencyItem item;
  item.type = type;
  const size_t us = s.find('_');
  std::string_view id = s.substr(0, us);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (id.empty() || ec != std::errc() || end != id.data() + id.size() || v == 0) {
    return Status::InvalidArgument("invalid job id \"" + std::string(s) + "\" in dependency");
  }
  item.job_id = v;
  if (us != std::string_view::npos) {
    std::string_view task = s.substr(us + 1);
    uint32_t t = 0;
    auto [tend, tec] = std::from_chars(task.data(), task.data() + task.size(), t);
    if (task.empty() || tec != std::errc() || tend != task.data() + task.size()) {
      return Status::InvalidArgument("invalid array element \"" + std::string(s) + "\" in dependency");
    }
    item.task_id = t;
  }
  return item;
}

}  // namespace

Result<Dependency> ParseDependency(std::string_view text) {
  Dependency dep;
  if (text.empty()) return dep;
  const bool has_comma = text.find(',') != std::string_view::npos;
  dep.any = text.find('?') != std::string_view::npos;
  if (has_comma && dep.any) {
    return Status::InvalidArgument("a dependency list uses either ',' (all) or '?' (any), not both");
  }
  const char sep = dep.any ? '?' : ',';
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t next = text.find(sep, pos);
    if (next == std::string_view::npos) next = text.size();
    std::string_view part = text.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty()) return Status::InvalidArgument("empty item in dependency \"" + std::string(text) + "\"");
    if (part == "singleton") {
      dep.items.push_back({DependencyType::kSingleton, 0, std::nullopt});
      continue;
    }
    const size_t colon = part.find(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("dependency \"" + std::string(part) + "\" names no job: use e.g. afterok:123");
    }
    auto type = ParseType(part.substr(0, colon));
    if (!type.ok()) return type.status();
    std::string_view ids = part.substr(colon + 1);
    size_t ipos = 0;
    while (ipos <= ids.size()) {
      size_t inext = ids.find(':', ipos);
      if (inext == std::string_view::npos) inext = ids.size();
      auto item = ParseTarget(*type, ids.substr(ipos, inext - ipos));
      if (!item.ok()) return item.status();
      dep.items.push_back(*item);
      ipos = inext + 1;
    }
  }
  return dep;
}

DependencyStatus EvaluateItem(DependencyType type, const TargetState& t) {
  using S = DependencyStatus;
  if (!t.known) return S::kSatisfied;
  const bool all_started = t.pending == 0;
  const bool all_ended = all_started && t.running == 0;
  switch (type) {
    case DependencyType::kAfter: return all_started ? S::kSatisfied : S::kWaiting;
    case DependencyType::kAfterAny: return all_ended ? S::kSatisfied : S::kWaiting;
    case DependencyType::kAfterOk:
      // One failure settles it at once: the rest cannot make it succeed.
      if (t.not_ok > 0) return S::kNeverSatisfied;
      return all_ended ? S::kSatisfied : S::kWaiting;
    case DependencyType::kAfterNotOk:
      if (!all_ended) return S::kWaiting;
      return t.not_ok > 0 ? S::kSatisfied : S::kNeverSatisfied;
    case DependencyType::kSingleton: return S::kSatisfied;  // decided by the controller
  }
  return S::kWaiting;
}

DependencyStatus Combine(const std::vector<DependencyStatus>& items, bool any) {
  using S = DependencyStatus;
  if (items.empty()) return S::kSatisfied;
  auto has = [&](S s) { return std::find(items.begin(), items.end(), s) != items.end(); };
  if (any) {
    if (has(S::kSatisfied)) return S::kSatisfied;
    return has(S::kWaiting) ? S::kWaiting : S::kNeverSatisfied;
  }
  if (has(S::kNeverSatisfied)) return S::kNeverSatisfied;
  return has(S::kWaiting) ? S::kWaiting : S::kSatisfied;
}

}  // namespace drover::ctld
