#include "ctld/authorization.h"

#include <algorithm>
#include <set>

namespace drover::ctld {
namespace {

// Keeps the jobs `viewer` may see, redacting others' where that is the policy. Returns the ids
// of the jobs left out.
std::set<uint64_t> Filter(const Config& config, const Identity& viewer,
                          google::protobuf::RepeatedPtrField<v1::JobInfo>* jobs) {
  std::set<uint64_t> hidden;
  auto keep = jobs->begin();
  for (auto it = jobs->begin(); it != jobs->end(); ++it) {
    switch (JobVisibility(config, viewer, it->uid())) {
      case Visibility::kHidden:
        hidden.insert(it->job_id());
        continue;
      case Visibility::kRedacted:
        Redact(&*it);
        break;
      case Visibility::kFull:
        break;
    }
    if (keep != it) keep->Swap(&*it);
    ++keep;
  }
  jobs->erase(keep, jobs->end());
  return hidden;
}

}  // namespace

bool IsOperator(const Config& config, const Identity& who) {
  if (who.uid == 0) return true;
  return std::find(config.operators.begin(), config.operators.end(), who.user) !=
         config.operators.end();
}

bool MayActOn(const Config& config, const Identity& who, uint32_t owner_uid) {
  return who.uid == owner_uid || IsOperator(config, who);
}

Visibility JobVisibility(const Config& config, const Identity& viewer, uint32_t owner_uid) {
  if (MayActOn(config, viewer, owner_uid)) return Visibility::kFull;
  return config.private_jobs ? Visibility::kHidden : Visibility::kRedacted;
}

void Redact(v1::JobInfo* job) {
  v1::JobSpec* spec = job->mutable_spec();
  spec->clear_work_dir();
  spec->clear_stdout_pattern();
  spec->clear_stderr_pattern();
  spec->clear_script_args();
  spec->clear_comment();
  spec->clear_submit_host();
  spec->clear_script();
  spec->clear_environment();
}

void ApplyVisibility(const Config& config, const Identity& viewer, v1::QueryJobsResponse* r) {
  const std::set<uint64_t> hidden = Filter(config, viewer, r->mutable_jobs());
  if (hidden.empty()) return;
  auto* prios = r->mutable_priorities();
  prios->erase(std::remove_if(prios->begin(), prios->end(),
                              [&](const v1::PriorityInfo& p) { return hidden.count(p.job_id()); }),
               prios->end());
}

void ApplyVisibility(const Config& config, const Identity& viewer, v1::QueryAcctResponse* r) {
  Filter(config, viewer, r->mutable_jobs());
}

}  // namespace drover::ctld
