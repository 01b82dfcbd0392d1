// Who may see and change what (DESIGN.md, Credentials): a user sees and changes their own jobs;
// root and the operators named in the config act on every job and on nodes. Pure rules, used by
// the Controller and the server's query answers.
#pragma once

#include <cstdint>

#include "common/config.h"
#include "ctld/controller.h"
#include "drover/v1/drover.pb.h"

namespace drover::ctld {

// Root, or a user named in `operators`.
bool IsOperator(const Config& config, const Identity& who);

// Whether `who` may cancel, signal, hold, release or requeue a job of `owner_uid`.
bool MayActOn(const Config& config, const Identity& who, uint32_t owner_uid);

enum class Visibility {
  kFull,      // the owner, root, operators
  kRedacted,  // everyone else: that the job exists, whose it is, where and when it runs
  kHidden,    // everyone else when `private_jobs` is set
};
Visibility JobVisibility(const Config& config, const Identity& viewer, uint32_t owner_uid);

// Leaves out what is private to a job's owner: where it runs from and writes to, its
// arguments, comment and submit host.
void Redact(v1::JobInfo* job);

// Applies JobVisibility to every job of a queue or accounting answer (and to the priority
// explanations of the queue answer).
void ApplyVisibility(const Config& config, const Identity& viewer, v1::QueryJobsResponse* r);
void ApplyVisibility(const Config& config, const Identity& viewer, v1::QueryAcctResponse* r);

}  // namespace drover::ctld
