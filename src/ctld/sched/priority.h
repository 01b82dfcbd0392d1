// Priority: Slurm's multifactor idea, reduced to what a small cluster needs.
//
//   priority = round(w_age x age + w_fairshare x fairshare + w_size x size
//                    + w_partition x tier) - nice
//
// Every factor is in [0, 1]:
//  - age: time since the job became eligible (submit or --begin, whichever is later) over
//    Options::max_age_s, capped at 1;
//  - fairshare: 2^(-U/S), where U is the user's share of all recent usage (CPU-seconds,
//    halving every Options::fairshare_half_life_s, plus what the user's running jobs used so
//    far) and S = 1/(number of users with usage or jobs): a user who used exactly their even
//    share gets 0.5, one who used nothing gets 1;
//  - size: the job's cores over all cores of the cluster (large jobs first, as Slurm's default,
//    so that they are not starved by a stream of small ones);
//  - partition: the partition's priority_tier over the highest tier of any partition.
// Ties go to the earlier submission, then the lower job id, so the order is deterministic.
// Pure functions; thread-compatible.
#pragma once

#include <vector>

#include "ctld/sched/types.h"

namespace drover::sched {

// One explanation per pending job, highest priority first; `context` (optional) gets what they
// were computed with.
std::vector<PriorityExplanation> ComputePriorities(const Snapshot& snap, const Options& options,
                                                   PriorityContext* context = nullptr);

// The usage, users, cores and tiers of `snap` (every pending job's user counts).
PriorityContext MakePriorityContext(const Snapshot& snap, const Options& options);

// One job's breakdown, its age counted to `now`. REQUIRES: the job's user is in context.users.
PriorityExplanation ExplainPriority(const PendingJob& job, const PriorityContext& context, const Options& options,
                                    int64_t now);

// `cpu_seconds` measured at `as_of`, decayed to `now` with the given half-life (no decay for a
// half-life <= 0).
double DecayedUsage(double cpu_seconds, int64_t as_of, int64_t now, int64_t half_life_s);

}  // namespace drover::sched
