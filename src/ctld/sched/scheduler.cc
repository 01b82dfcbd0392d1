#include "ctld/sched/scheduler.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <unordered_map>

#include "ctld/sched/backfill.h"
#include "ctld/sched/placement.h"
#include "ctld/sched/priority.h"

namespace drover::sched {
namespace {

// "1 node", "3 nodes": refusals are read by people.
std::string Nodes(uint64_t n) { return std::to_string(n) + (n == 1 ? " node" : " nodes"); }

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool UserAllowed(const PendingJob& job, const Partition& p) {
  if (p.allow_users.empty() && p.allow_groups.empty()) return true;
  if (Contains(p.allow_users, job.user)) return true;
  for (const auto& g : job.groups) {
    if (Contains(p.allow_groups, g)) return true;
  }
  return false;
}

uint32_t EffectiveLimit(const PendingJob& job, const Partition& p) {
  if (job.time_limit_minutes != 0) return job.time_limit_minutes;
  return p.default_time_minutes != kUnlimitedMinutes ? p.default_time_minutes : p.max_time_minutes;
}

int64_t EndTime(int64_t now, uint32_t limit_minutes) {
  if (limit_minutes == kUnlimitedMinutes) return kNever;
  return now + static_cast<int64_t>(limit_minutes) * 60;
}

std::string FormatMinutes(uint32_t m) {
  if (m == kUnlimitedMinutes) return "UNLIMITED";
  const uint32_t days = m / (24 * 60), hours = (m / 60) % 24, mins = m % 60;
  char buf[32];
  if (days > 0) {
    std::snprintf(buf, sizeof buf, "%u-%02u:%02u:00", days, hours, mins);
  } else {
    std::snprintf(buf, sizeof buf, "%u:%02u:00", hours, mins);
  }
  return buf;
}

std::string JoinNames(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

// Reasons that belong to the job alone (file comment, step 2); nullptr if none.
const char* OwnReason(const PendingJob& job, const ClusterState& state, int p, int64_t now) {
  if (job.hold == Hold::kAdmin) return reason::kJobHeldAdmin;
  if (job.hold == Hold::kUser) return reason::kJobHeldUser;
  if (!job.dependency_satisfied) return reason::kDependency;
  if (job.begin_time > now) return reason::kBeginTime;
  if (p < 0) return reason::kPartitionConfig;
  const Partition& part = state.partition(p);
  if (!UserAllowed(job, part)) return reason::kPartitionConfig;
  if (part.state == PartitionState::kDown) return reason::kPartitionDown;
  if (part.state == PartitionState::kInactive) return reason::kPartitionInactive;
  const uint32_t limit = EffectiveLimit(job, part);
  if (part.max_time_minutes != kUnlimitedMinutes &&
      (limit == kUnlimitedMinutes || limit > part.max_time_minutes)) {
    return reason::kPartitionTimeLimit;
  }
  const uint32_t min_nodes = std::max<uint32_t>(
      {job.min_nodes, 1u, static_cast<uint32_t>(job.nodelist.size())});
  if (part.max_nodes != 0 && min_nodes > part.max_nodes) return reason::kPartitionNodeLimit;
  for (const auto& name : job.nodelist) {
    const int ni = state.FindNode(name);
    if (ni < 0 || !state.InPartition(p, ni) || !state.nodes()[static_cast<size_t>(ni)].available) {
      return reason::kReqNodeNotAvail;
    }
  }
  return nullptr;
}

// Identifies jobs that need the same thing of the same partition, so that a failure to place
// one answers for the others (free resources only shrink during a pass).
std::string Signature(int p, const JobShape& s, const PendingJob& job) {
  std::string key;
  const auto put = [&key](uint64_t v) {
    char b[sizeof v];
    std::memcpy(b, &v, sizeof v);
    key.append(b, sizeof v);
  };
  put(static_cast<uint64_t>(p));
  put(s.nodes);
  put(s.cpus);
  put(s.tasks.front());
  put(s.cpus_per_task);
  put(s.mem_per_node_mb);
  put(s.mem_per_cpu_mb);
  put((s.mem_given ? 1u : 0u) | (s.exclusive ? 2u : 0u) | (static_cast<uint64_t>(s.mode) << 2));
  put(static_cast<uint64_t>(s.kind + 1));
  for (const auto& [k, c] : s.counts) put((static_cast<uint64_t>(k) << 32) | c);
  for (const auto& f : job.features) key += f + '\0';
  return key;
}

// Available nodes of the partition that could hold the job if they were idle.
bool EnoughAvailableNodes(const ClusterState& state, int p, const PendingJob& job,
                          const JobShape& s) {
  uint32_t count = 0;
  for (int ni : state.members(p)) {
    const NodeState& n = state.nodes()[static_cast<size_t>(ni)];
    if (n.available && !Contains(job.exclude, n.node->name) && StaticFit(n, s, job)) ++count;
  }
  return count >= s.nodes;
}

std::vector<Allocation> ToAllocations(const ClusterState& state, const std::vector<Pick>& picks) {
  std::vector<Allocation> out;
  for (const auto& pk : picks) {
    const NodeState& n = state.nodes()[static_cast<size_t>(pk.node)];
    Allocation a;
    a.node = n.node->name;
    for (uint32_t i : pk.cores) a.core_ids.push_back(n.core_id[i]);
    std::sort(a.core_ids.begin(), a.core_ids.end());
    a.memory_mb = pk.mem_mb;
    a.tasks = pk.tasks;
    out.push_back(std::move(a));
  }
  return out;
}

class Pass {
 public:
  Pass(const Snapshot& snap, const Options& options)
      : snap_(snap), options_(options), kinds_(snap.kinds, snap.nodes), state_(snap, kinds_) {
    jobs_.reserve(snap.PendingCount());
    snap.ForEachPending([this](const PendingJob& j) { jobs_.emplace(j.id, &j); });
    for (const auto& r : snap.running) {
      if (r.end_time == kNever) continue;  // gives nothing back that backfill could plan with
      for (const auto& a : r.nodes) {
        const int ni = state_.FindNode(a.node);
        if (ni < 0) continue;
        const NodeState& n = state_.nodes()[static_cast<size_t>(ni)];
        ReleaseEvent e{r.end_time, r.id, ni, {}, a.memory_mb};
        for (uint32_t id : a.core_ids) {
          auto it = std::find(n.core_id.begin(), n.core_id.end(), id);
          if (it != n.core_id.end()) e.cores.push_back(static_cast<uint32_t>(it - n.core_id.begin()));
        }
        events_.push_back(std::move(e));
      }
    }
  }

  Plan Run() {
    Plan plan;
    plan.priorities = ComputePriorities(snap_, options_, &plan.priority_context);
    for (const auto& pe : plan.priorities) {
      const PendingJob& job = *jobs_.at(pe.id);
      const char* why = Consider(job, plan);
      if (why != nullptr) plan.waits.push_back({job.id, why});
    }
    return plan;
  }

 private:
  // Starts or reserves `job`; returns its wait reason, nullptr when it starts.
  const char* Consider(const PendingJob& job, Plan& plan) {
    const int64_t now = snap_.now;
    const int p = state_.FindPartition(job.partition);
    if (const char* own = OwnReason(job, state_, p, now)) return own;
    if (!options_.backfill && waiting_.count(p) != 0) return reason::kPriority;
    Result<NodeRange> range = NodeCountRange(job);
    if (!range.ok()) return reason::kBadConstraints;
    const uint32_t members = static_cast<uint32_t>(state_.members(p).size());
    const uint32_t n_max = std::max(range->min, std::min(range->max, members));
    const int64_t end = EndTime(now, EffectiveLimit(job, state_.partition(p)));
    const bool cacheable = job.nodelist.empty() && job.exclude.empty();

    std::vector<uint32_t> tries = {n_max};
    if (range->min != n_max) tries.push_back(range->min);
    if (job.fewest_nodes && range->min != n_max) {
      // Fewest first: the minimum, then the fewest that can hold the CPUs by core count.
      const uint64_t cpus = static_cast<uint64_t>(std::max(job.ntasks, 1u)) * job.cpus_per_task;
      const uint32_t largest = std::max(LargestNode(p), 1u);
      const auto needed = static_cast<uint32_t>(std::min<uint64_t>((cpus + largest - 1) / largest, n_max));
      tries = {range->min};
      if (needed > range->min) tries.push_back(needed);
      if (n_max > tries.back()) tries.push_back(n_max);
    }
    for (uint32_t n : tries) {
      Result<JobShape> shape = MakeShape(job, n, kinds_, options_.default_mem_per_cpu_mb);
      if (!shape.ok()) return reason::kBadConstraints;
      std::string key;
      if (cacheable) {
        key = Signature(p, *shape, job);
        auto it = failed_.find(key);
        // A job needing as much for at least as long failed already: nothing got freer.
        if (it != failed_.end() && it->second <= end) continue;
      }
      auto picks = state_.FindNodes(p, job, *shape, end, book_.empty() ? nullptr : &book_);
      if (picks.has_value()) {
        Start(job, *picks, end, plan);
        return nullptr;
      }
      if (cacheable) {
        auto [it, inserted] = failed_.emplace(key, end);
        if (!inserted) it->second = std::min(it->second, end);
      }
    }
    return Wait(job, p, *range, plan);
  }

  void Start(const PendingJob& job, const std::vector<Pick>& picks, int64_t end, Plan& plan) {
    state_.Commit(picks);
    for (const auto& pk : picks) {
      book_.Commit(pk.node, end, pk.mem_mb);
      if (end != kNever) {
        events_.push_back({end, job.id, pk.node, pk.cores, pk.mem_mb});
        events_sorted_ = false;
      }
    }
    plan.starts.push_back({job.id, ToAllocations(state_, picks), end, !book_.empty()});
  }

  const char* Wait(const PendingJob& job, int p, const NodeRange& range, Plan& plan) {
    Result<JobShape> shape = MakeShape(job, range.min, kinds_, options_.default_mem_per_cpu_mb);
    if (!shape.ok()) return reason::kBadConstraints;
    if (!Available(job, p, *shape)) return reason::kReqNodeNotAvail;
    const bool first = waiting_.insert(p).second;
    if (!options_.backfill || plan.reservations.size() >= options_.reservations) {
      return first ? reason::kResources : reason::kPriority;
    }
    if (!events_sorted_) {
      std::sort(events_.begin(), events_.end(), [](const ReleaseEvent& a, const ReleaseEvent& b) {
        return a.time != b.time ? a.time < b.time : a.job < b.job;
      });
      events_sorted_ = true;
    }
    auto found = FindReservation(state_, p, job, *shape, events_, book_, snap_.now);
    if (!found.has_value()) return first ? reason::kResources : reason::kPriority;
    for (size_t i = 0; i < found->picks.size(); ++i) {
      const Pick& pk = found->picks[i];
      ReservationBook::Hold h;
      h.start = found->start;
      h.pinned.assign(state_.nodes()[static_cast<size_t>(pk.node)].CoreCount(), 0);
      for (uint32_t c : pk.cores) h.pinned[c] = 1;
      h.reserved_mb = pk.mem_mb;
      h.spare_mb = found->mem_free_at_start[i] - static_cast<int64_t>(pk.mem_mb);
      book_.Add(pk.node, std::move(h));
    }
    plan.reservations.push_back({job.id, found->start, ToAllocations(state_, found->picks)});
    // A reserved job waits for Resources even behind another reservation: it is next in line.
    return reason::kResources;
  }

  bool Available(const PendingJob& job, int p, const JobShape& s) {
    if (!job.exclude.empty()) return EnoughAvailableNodes(state_, p, job, s);
    const std::string key = Signature(p, s, job);
    auto it = available_.find(key);
    if (it == available_.end()) {
      it = available_.emplace(key, EnoughAvailableNodes(state_, p, job, s)).first;
    }
    return it->second;
  }

  uint32_t LargestNode(int p) {
    auto [it, inserted] = largest_.emplace(p, 0);
    if (inserted) {
      for (int i : state_.members(p)) it->second = std::max(it->second, state_.nodes()[static_cast<size_t>(i)].CoreCount());
    }
    return it->second;
  }

  const Snapshot& snap_;
  const Options& options_;
  KindTable kinds_;
  ClusterState state_;
  ReservationBook book_;
  std::unordered_map<JobId, const PendingJob*> jobs_;
  std::vector<ReleaseEvent> events_;
  bool events_sorted_ = false;
  std::unordered_map<std::string, int64_t> failed_;   // signature -> shortest end that failed
  std::unordered_map<std::string, bool> available_;   // signature -> enough available nodes
  std::set<int> waiting_;                             // partitions with a job waiting
  std::unordered_map<int, uint32_t> largest_;         // partition -> most cores on one node
};

// The most cores (of the requested kind) and memory one node of a partition has.
struct Largest {
  uint32_t cores = 0;
  uint64_t mem = 0;
};

}  // namespace

Plan Schedule(const Snapshot& snapshot, const Options& options) {
  return Pass(snapshot, options).Run();
}

Status CheckFeasible(const PendingJob& job, const Snapshot& snap, const Options& options) {
  const Partition* part = nullptr;
  for (const auto& p : snap.partitions) {
    if (p.name == job.partition) part = &p;
  }
  if (part == nullptr) {
    return Status::InvalidArgument("invalid partition name specified: " + job.partition);
  }
  const std::string& pn = part->name;
  if (part->state == PartitionState::kDrain || part->state == PartitionState::kInactive) {
    return Status::InvalidArgument(
        "partition " + pn + " is " +
        (part->state == PartitionState::kDrain ? "draining" : "inactive") +
        " and accepts no new jobs; submit to another partition (drover info lists them)");
  }
  if (!UserAllowed(job, *part)) {
    return Status::PermissionDenied("user " + job.user + " may not use partition " + pn +
                                    " (allowed users: " + JoinNames(part->allow_users) +
                                    "; allowed groups: " + JoinNames(part->allow_groups) + ")");
  }
  const uint32_t limit = EffectiveLimit(job, *part);
  if (part->max_time_minutes != kUnlimitedMinutes &&
      (limit == kUnlimitedMinutes || limit > part->max_time_minutes)) {
    return Status::InvalidArgument("requested time limit " + FormatMinutes(limit) +
                                   " exceeds the limit of partition " + pn + " (" +
                                   FormatMinutes(part->max_time_minutes) + ")");
  }
  Result<NodeRange> range = NodeCountRange(job);
  if (!range.ok()) return range.status();
  if (part->max_nodes != 0 && range->min > part->max_nodes) {
    return Status::InvalidArgument("requested " + Nodes(range->min) + " but partition " + pn + " allows at most " +
                                   std::to_string(part->max_nodes) + " per job");
  }
  if (part->nodes.size() < range->min) {
    return Status::InvalidArgument("requested " + Nodes(range->min) + " but partition " + pn + " has only " +
                                   std::to_string(part->nodes.size()));
  }
  for (const auto& name : job.nodelist) {
    if (!Contains(part->nodes, name)) {
      return Status::InvalidArgument("requested node " + name + " is not in partition " + pn);
    }
    if (Contains(job.exclude, name)) {
      return Status::InvalidArgument("node " + name + " is both requested and excluded");
    }
  }

  // As Slurm: excluding a name the cluster does not have is a mistake worth saying, not a no-op.
  for (const auto& name : job.exclude) {
    if (std::none_of(snap.nodes.begin(), snap.nodes.end(), [&](const Node& n) { return n.name == name; })) {
      return Status::InvalidArgument("excluded node " + name + " is not a node of this cluster");
    }
  }
  if (!job.exclude.empty() &&
      std::all_of(part->nodes.begin(), part->nodes.end(), [&](const std::string& n) { return Contains(job.exclude, n); })) {
    return Status::InvalidArgument("--exclude leaves no node of partition " + pn);
  }

  // Judge the request against the partition's nodes as if all were idle and available.
  Snapshot idle;
  idle.kinds = snap.kinds;
  for (const auto& n : snap.nodes) {
    if (!Contains(part->nodes, n.name)) continue;
    Node copy = n;
    copy.available = true;
    copy.free_cores.clear();
    for (const auto& g : n.cores) {
      copy.free_cores.insert(copy.free_cores.end(), g.core_ids.begin(), g.core_ids.end());
    }
    copy.memory_free_mb = n.memory_total_mb;
    idle.nodes.push_back(std::move(copy));
  }
  idle.partitions.push_back(*part);
  KindTable kinds(idle.kinds, idle.nodes);
  ClusterState state(idle, kinds);
  for (const auto& f : job.features) {
    bool any = false;
    for (const auto& n : idle.nodes) any = any || Contains(n.features, f);
    if (!any) {
      return Status::InvalidArgument("no node in partition " + pn + " has feature " + f);
    }
  }
  // A job that may spread (srun -n8 with no -N) is feasible if some node count in its range
  // fits; the messages below describe the smallest one.
  for (uint32_t n = range->min + 1; n <= range->max && n <= range->min + 64; ++n) {
    Result<JobShape> wider = MakeShape(job, n, kinds, options.default_mem_per_cpu_mb);
    if (!wider.ok()) continue;
    uint32_t fit = 0;
    for (const auto& node : state.nodes()) {
      if (!Contains(job.exclude, node.node->name) && StaticFit(node, *wider, job)) ++fit;
    }
    if (fit >= n) return Status::Ok();
  }
  Result<JobShape> shape = MakeShape(job, range->min, kinds, options.default_mem_per_cpu_mb);
  if (!shape.ok()) {
    std::vector<std::string> names;
    for (int k = 0; k < kinds.size(); ++k) names.push_back(kinds.Name(k));
    return Status::InvalidArgument(shape.status().message() + " in partition " + pn +
                                   " (its kinds: " + JoinNames(names) + ")");
  }
  const JobShape& s = *shape;
  uint32_t fitting = 0;
  Largest largest;
  std::string kind_word = "CPUs";
  if (s.mode == CpuKindRequest::Mode::kKind) kind_word = kinds.Name(s.kind) + " cores";
  for (const auto& n : state.nodes()) {
    if (Contains(job.exclude, n.node->name)) continue;
    if (StaticFit(n, s, job)) ++fitting;
    uint32_t c = n.CoreCount();
    if (s.mode == CpuKindRequest::Mode::kKind) {
      const auto* r = n.FindKind(s.kind);
      c = r ? r->end - r->begin : 0;
    }
    largest.cores = std::max(largest.cores, c);
    largest.mem = std::max(largest.mem, n.mem_total);
  }
  for (const auto& name : job.nodelist) {
    const int ni = state.FindNode(name);
    if (ni >= 0 && !StaticFit(state.nodes()[static_cast<size_t>(ni)], s, job)) {
      return Status::InvalidArgument("requested node " + name + " cannot hold the job's " +
                                     std::to_string(s.cpus) + " CPUs and " +
                                     std::to_string(s.MemFor(s.cpus, state.nodes()[static_cast<size_t>(ni)])) +
                                     " MB");
    }
  }
  if (fitting >= s.nodes) return Status::Ok();
  // srun -n30 with no -N may spread over every node: "on one node" would be wrong, the sum is.
  if (range->max > range->min && job.ntasks != 0 && s.mode != CpuKindRequest::Mode::kCounts) {
    uint64_t total = 0;
    uint32_t usable = 0;
    for (const auto& n : state.nodes()) {
      if (Contains(job.exclude, n.node->name)) continue;
      const auto* r = s.mode == CpuKindRequest::Mode::kKind ? n.FindKind(s.kind) : nullptr;
      total += s.mode == CpuKindRequest::Mode::kKind ? (r ? r->end - r->begin : 0) : n.CoreCount();
      ++usable;
    }
    const uint64_t want = static_cast<uint64_t>(job.ntasks) * job.cpus_per_task;
    if (want > total) {
      return Status::InvalidArgument("requested " + std::to_string(want) + " " + kind_word + " in all (" +
                                     std::to_string(job.ntasks) + " tasks x " + std::to_string(job.cpus_per_task) +
                                     " per task) but partition " + pn + " has " + std::to_string(total) + " on " +
                                     Nodes(usable));
    }
  }
  const uint32_t need = s.exclusive ? s.tasks.front() * s.cpus_per_task : s.cpus;
  if (s.mode != CpuKindRequest::Mode::kCounts && need > largest.cores) {
    return Status::InvalidArgument(
        "requested " + std::to_string(need) + " " + kind_word +
        " on one node but the largest node in partition " + pn + " has " +
        std::to_string(largest.cores) + " (CPUs per node = tasks per node x cpus-per-task)");
  }
  const uint64_t mem = s.MemFor(s.cpus, state.nodes().front());
  if (!s.exclusive && mem > largest.mem) {
    return Status::InvalidArgument("requested " + std::to_string(mem) +
                                   " MB of memory on one node but the largest node in partition " +
                                   pn + " has " + std::to_string(largest.mem) + " MB");
  }
  std::string what = std::to_string(s.cpus) + " " + kind_word;
  if (s.mode == CpuKindRequest::Mode::kCounts) {
    what.clear();
    for (const auto& kc : job.cpu_kind.counts) {
      what += (what.empty() ? "" : " and ") + std::to_string(kc.count) + " " + kc.kind;
    }
    what += " cores";
  }
  return Status::InvalidArgument("requested " + Nodes(s.nodes) + " with " + what +
                                 " and " + std::to_string(mem) + " MB each" +
                                 (job.features.empty() ? "" : " and the requested features") +
                                 ", but partition " + pn + " has only " + std::to_string(fitting) +
                                 " such nodes");
}

std::string TasksPerNode(const std::vector<Allocation>& nodes) {
  std::string out;
  for (size_t i = 0; i < nodes.size();) {
    size_t j = i;
    while (j < nodes.size() && nodes[j].tasks == nodes[i].tasks) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(nodes[i].tasks);
    if (j - i >= 2) out += "(x" + std::to_string(j - i) + ")";
    i = j;
  }
  return out;
}

}  // namespace drover::sched
