#include "cli/spec_text.h"

#include <algorithm>
#include <sstream>
#include <tuple>

#include "common/hostlist.h"
#include "common/units.h"

namespace drover::cli {

Status ApplySpecText(const SpecText& t, v1::JobSpec* spec) {
  if (!t.mem.empty()) {
    auto mb = ParseMemoryMB(t.mem);
    if (!mb.ok()) return mb.status().WithContext("--mem");
    spec->set_mem_per_node_mb(*mb);
  }
  if (!t.mem_per_cpu.empty()) {
    auto mb = ParseMemoryMB(t.mem_per_cpu);
    if (!mb.ok()) return mb.status().WithContext("--mem-per-cpu");
    spec->set_mem_per_cpu_mb(*mb);
  }
  if (!t.time.empty()) {
    auto minutes = ParseTimeLimitMinutes(t.time);
    if (!minutes.ok()) return minutes.status().WithContext("--time");
    spec->set_time_limit_minutes(*minutes);
  }
  for (const auto& [flag, text, field] :
       {std::tuple<const char*, const std::string*, google::protobuf::RepeatedPtrField<std::string>*>{
            "--nodelist", &t.nodelist, spec->mutable_nodelist()},
        {"--exclude", &t.exclude, spec->mutable_exclude()}}) {
    if (text->empty()) continue;
    auto names = ExpandHostlist(*text);
    if (!names.ok()) return names.status().WithContext(flag);
    for (auto& n : *names) field->Add(std::move(n));
  }
  std::string features = t.constraint;
  std::replace(features.begin(), features.end(), '&', ',');
  std::stringstream ss(features);
  std::string f;
  while (std::getline(ss, f, ',')) {
    if (!f.empty()) spec->add_constraint(f);
  }
  return Status::Ok();
}

}  // namespace drover::cli
