#include "ctld/sched/backfill.h"

#include <algorithm>

namespace drover::sched {

bool ReservationBook::Limits(int node, int64_t end, size_t cores, std::vector<uint8_t>* mask,
                             uint64_t* mem_cap) const {
  auto it = holds_.find(node);
  if (it == holds_.end()) return false;
  bool any = false;
  for (const Hold& h : it->second) {
    // A job that ends by the reservation's start is gone before it needs anything.
    if (end <= h.start) continue;
    if (!any) mask->assign(cores, 0);
    any = true;
    for (size_t i = 0; i < cores && i < h.pinned.size(); ++i) (*mask)[i] |= h.pinned[i];
    *mem_cap = std::min<uint64_t>(*mem_cap, static_cast<uint64_t>(std::max<int64_t>(h.spare_mb, 0)));
  }
  return any;
}

void ReservationBook::Commit(int node, int64_t end, uint64_t mem_mb) {
  auto it = holds_.find(node);
  if (it == holds_.end()) return;
  for (Hold& h : it->second) {
    if (end > h.start) h.spare_mb -= static_cast<int64_t>(mem_mb);
  }
}

namespace {

// A what-if copy of the partition's nodes that resources flow back into as time advances.
class Sweep {
 public:
  Sweep(const ClusterState& live, int partition, const PendingJob& job, const JobShape& s,
        const ReservationBook& book)
      : s_(s), nodes_(live.nodes()) {
    const auto& members = live.members(partition);
    const size_t n = nodes_.size();
    position_.assign(n, -1);
    blocked_.resize(n);
    mem_avail_.resize(n);
    eligible_.assign(n, 0);
    for (size_t pos = 0; pos < members.size(); ++pos) {
      const int ni = members[pos];
      const NodeState& node = nodes_[static_cast<size_t>(ni)];
      if (!node.available || !StaticFit(node, s, job)) continue;
      if (std::find(job.exclude.begin(), job.exclude.end(), node.node->name) != job.exclude.end()) {
        continue;
      }
      position_[static_cast<size_t>(ni)] = static_cast<int>(pos);
      candidates_.push_back(ni);
      mem_avail_[static_cast<size_t>(ni)] = static_cast<int64_t>(node.mem_free);
    }
    // Earlier reservations keep what they pinned for good (see backfill.h).
    for (const auto& [ni, holds] : book.holds()) {
      if (position_[static_cast<size_t>(ni)] < 0) continue;
      auto& mask = blocked_[static_cast<size_t>(ni)];
      mask.assign(nodes_[static_cast<size_t>(ni)].CoreCount(), 0);
      for (const auto& h : holds) {
        for (size_t i = 0; i < mask.size() && i < h.pinned.size(); ++i) mask[i] |= h.pinned[i];
        mem_avail_[static_cast<size_t>(ni)] -= static_cast<int64_t>(h.reserved_mb);
      }
    }
    for (const auto& name : job.nodelist) {
      const int ni = live.FindNode(name);
      required_.push_back(ni);
      if (ni < 0 || position_[static_cast<size_t>(ni)] < 0) possible_ = false;
    }
    if (candidates_.size() < s.nodes) possible_ = false;
  }

  bool possible() const { return possible_; }

  void EvaluateAll() {
    for (int ni : candidates_) Evaluate(ni);
  }

  void Release(const ReleaseEvent& e) {
    if (position_[static_cast<size_t>(e.node)] < 0) return;
    NodeState& n = nodes_[static_cast<size_t>(e.node)];
    for (uint32_t i : e.cores) {
      if (i >= n.CoreCount() || n.free[i]) continue;
      n.free[i] = 1;
      ++n.free_total;
      for (auto& r : n.kinds) {
        if (i >= r.begin && i < r.end) ++r.free;
      }
    }
    n.mem_free = std::min(n.mem_total, n.mem_free + e.mem_mb);
    mem_avail_[static_cast<size_t>(e.node)] += static_cast<int64_t>(e.mem_mb);
    Evaluate(e.node);
  }

  // The reservation if enough nodes fit now.
  std::optional<FoundReservation> TryPlace(int64_t t) {
    if (eligible_count_ < s_.nodes) return std::nullopt;
    for (int ni : required_) {
      if (!eligible_[static_cast<size_t>(ni)]) return std::nullopt;
    }
    std::vector<std::pair<std::pair<int, int>, int>> order;  // ((tier, position), node)
    for (int ni : candidates_) {
      if (!eligible_[static_cast<size_t>(ni)]) continue;
      if (std::find(required_.begin(), required_.end(), ni) != required_.end()) continue;
      order.push_back({{tier_[static_cast<size_t>(ni)], position_[static_cast<size_t>(ni)]}, ni});
    }
    std::sort(order.begin(), order.end());
    std::vector<int> chosen = required_;
    for (size_t i = 0; chosen.size() < s_.nodes; ++i) chosen.push_back(order[i].second);
    std::sort(chosen.begin(), chosen.end());  // node-table order, as the start will have
    FoundReservation found;
    found.start = t;
    for (size_t i = 0; i < chosen.size(); ++i) {
      const int ni = chosen[i];
      const NodeState& n = nodes_[static_cast<size_t>(ni)];
      const uint32_t c = s_.CpusOn(i, n);
      Pick pk;
      pk.node = ni;
      SelectCores(n, s_, c, Blocked(ni), &pk.cores);
      pk.mem_mb = s_.MemFor(c, n);
      pk.tasks = s_.TasksFor(i, c);
      found.picks.push_back(std::move(pk));
      found.mem_free_at_start.push_back(mem_avail_[static_cast<size_t>(ni)]);
    }
    return found;
  }

 private:
  const uint8_t* Blocked(int ni) const {
    const auto& m = blocked_[static_cast<size_t>(ni)];
    return m.empty() ? nullptr : m.data();
  }

  void Evaluate(int ni) {
    const NodeState& n = nodes_[static_cast<size_t>(ni)];
    int tier = -1;
    const uint32_t c = s_.CpusOn(0, n);
    const bool idle_enough = !s_.exclusive || (n.Idle() && blocked_[static_cast<size_t>(ni)].empty());
    if (idle_enough &&
        static_cast<int64_t>(s_.MemFor(c, n)) <= mem_avail_[static_cast<size_t>(ni)]) {
      tier = SelectCores(n, s_, c, Blocked(ni), &scratch_);
    }
    const bool now = tier >= 0;
    if (tier_.size() < nodes_.size()) tier_.resize(nodes_.size(), -1);
    tier_[static_cast<size_t>(ni)] = tier;
    if (now != static_cast<bool>(eligible_[static_cast<size_t>(ni)])) {
      eligible_[static_cast<size_t>(ni)] = now ? 1 : 0;
      eligible_count_ += now ? 1 : -1;
    }
  }

  const JobShape& s_;
  std::vector<NodeState> nodes_;
  std::vector<int> position_;  // in the partition; -1 = not a candidate
  std::vector<int> candidates_;
  std::vector<int> required_;
  std::vector<std::vector<uint8_t>> blocked_;
  std::vector<int64_t> mem_avail_;
  std::vector<uint8_t> eligible_;
  std::vector<int> tier_;
  std::vector<uint32_t> scratch_;
  uint32_t eligible_count_ = 0;
  bool possible_ = true;
};

}  // namespace

std::optional<FoundReservation> FindReservation(const ClusterState& live, int partition,
                                                const PendingJob& job, const JobShape& s,
                                                const std::vector<ReleaseEvent>& events,
                                                const ReservationBook& book, int64_t now) {
  Sweep sweep(live, partition, job, s, book);
  if (!sweep.possible()) return std::nullopt;
  sweep.EvaluateAll();
  if (auto r = sweep.TryPlace(now)) return r;
  for (size_t i = 0; i < events.size();) {
    const int64_t t = std::max(events[i].time, now);
    if (events[i].time == kNever) break;
    size_t j = i;
    while (j < events.size() && events[j].time == events[i].time) sweep.Release(events[j++]);
    if (auto r = sweep.TryPlace(t)) return r;
    i = j;
  }
  return std::nullopt;
}

}  // namespace drover::sched
