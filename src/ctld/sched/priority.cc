#include "ctld/sched/priority.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

namespace drover::sched {
namespace {

double JobCores(const PendingJob& job) {
  const double cpt = std::max<uint32_t>(job.cpus_per_task, 1);
  const double nodes = std::max<uint32_t>(job.min_nodes, 1);
  if (job.cpu_kind.mode == CpuKindRequest::Mode::kCounts) {
    double sum = 0;
    for (const auto& kc : job.cpu_kind.counts) sum += kc.count;
    return sum * nodes;
  }
  if (job.ntasks != 0) return job.ntasks * cpt;
  if (job.ntasks_per_node != 0) return nodes * job.ntasks_per_node * cpt;
  return nodes * cpt;
}

double Clamp01(double x) { return std::min(1.0, std::max(0.0, x)); }

}  // namespace

double DecayedUsage(double cpu_seconds, int64_t as_of, int64_t now, int64_t half_life_s) {
  if (half_life_s <= 0 || now <= as_of) return cpu_seconds;
  return cpu_seconds * std::exp2(-static_cast<double>(now - as_of) / static_cast<double>(half_life_s));
}

PriorityContext MakePriorityContext(const Snapshot& snap, const Options& options) {
  PriorityContext c;
  // Usage per user: decayed history plus what running jobs consumed so far.
  for (const auto& u : snap.usage) {
    c.usage[u.user] += DecayedUsage(u.cpu_seconds, u.as_of, snap.now, options.fairshare_half_life_s);
  }
  for (const auto& r : snap.running) {
    double cores = 0;
    for (const auto& a : r.nodes) cores += static_cast<double>(a.core_ids.size());
    c.usage[r.user] += cores * static_cast<double>(std::max<int64_t>(snap.now - r.start_time, 0));
  }
  for (const auto& [user, u] : c.usage) {
    if (u > 0) c.users.insert(user);
    c.total_usage += u;
  }
  snap.ForEachPending([&c](const PendingJob& j) { c.users.insert(j.user); });
  for (const auto& n : snap.nodes) {
    for (const auto& g : n.cores) c.total_cores += static_cast<double>(g.core_ids.size());
  }
  for (const auto& p : snap.partitions) {
    c.max_tier = std::max(c.max_tier, p.priority_tier);
    c.tier[p.name] = p.priority_tier;
  }
  return c;
}

PriorityExplanation ExplainPriority(const PendingJob& j, const PriorityContext& c, const Options& options,
                                    int64_t now) {
  const double even_share = c.users.empty() ? 1.0 : 1.0 / static_cast<double>(c.users.size());
  PriorityExplanation e;
  e.id = j.id;
  e.user = j.user;
  const int64_t eligible = std::max(j.submit_time, j.begin_time);
  e.age = options.max_age_s > 0
              ? Clamp01(static_cast<double>(now - eligible) / static_cast<double>(options.max_age_s))
              : 0;
  auto u = c.usage.find(j.user);
  e.user_usage_cpu_seconds = u == c.usage.end() ? 0 : u->second;
  const double share = c.total_usage > 0 ? e.user_usage_cpu_seconds / c.total_usage : 0;
  e.fairshare = std::exp2(-share / even_share);
  e.job_size = c.total_cores > 0 ? Clamp01(JobCores(j) / c.total_cores) : 0;
  auto t = c.tier.find(j.partition);
  e.partition = c.max_tier > 0 && t != c.tier.end() ? static_cast<double>(t->second) / c.max_tier : 0;
  e.age_part = options.weight_age * e.age;
  e.fairshare_part = options.weight_fairshare * e.fairshare;
  e.job_size_part = options.weight_job_size * e.job_size;
  e.partition_part = options.weight_partition * e.partition;
  e.nice = j.nice;
  e.priority = std::llround(e.age_part + e.fairshare_part + e.job_size_part + e.partition_part) - j.nice;
  return e;
}

std::vector<PriorityExplanation> ComputePriorities(const Snapshot& snap, const Options& options,
                                                   PriorityContext* context) {
  PriorityContext c = MakePriorityContext(snap, options);
  std::vector<PriorityExplanation> out;
  out.reserve(snap.PendingCount());
  std::vector<std::pair<int64_t, JobId>> submit;  // for the tie-break
  snap.ForEachPending([&](const PendingJob& j) {
    out.push_back(ExplainPriority(j, c, options, snap.now));
    submit.emplace_back(j.submit_time, j.id);
  });
  std::vector<size_t> idx(out.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    if (out[a].priority != out[b].priority) return out[a].priority > out[b].priority;
    return submit[a] < submit[b];
  });
  std::vector<PriorityExplanation> sorted;
  sorted.reserve(out.size());
  for (size_t i : idx) sorted.push_back(std::move(out[i]));
  if (context != nullptr) *context = std::move(c);
  return sorted;
}

}  // namespace drover::sched
