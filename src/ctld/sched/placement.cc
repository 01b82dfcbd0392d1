#include "ctld/sched/placement.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "ctld/sched/backfill.h"
#include "ctld/sched/scheduler.h"

namespace drover::sched {
namespace {

bool ParseCount(const std::string& s, uint32_t* out) {
  if (s.empty() || s.size() > 6) return false;
  uint32_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  *out = n;
  return n > 0;
}

bool ValidKindName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<CpuKindRequest> ParseCpuKind(const std::string& text) {
  CpuKindRequest r;
  if (text.empty() || text == "any") return r;
  if (text.find(':') == std::string::npos) {
    if (!ValidKindName(text)) {
      return Status::InvalidArgument("invalid --cpu-kind \"" + text +
                                     "\": expected any, a kind name such as big, or counts such "
                                     "as big:2,little:4");
    }
    r.mode = CpuKindRequest::Mode::kKind;
    r.kind = text;
    return r;
  }
  r.mode = CpuKindRequest::Mode::kCounts;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    const size_t colon = item.find(':');
    KindCount kc;
    if (colon == std::string::npos || !ValidKindName(item.substr(0, colon)) ||
        !ParseCount(item.substr(colon + 1), &kc.count)) {
      return Status::InvalidArgument("invalid --cpu-kind item \"" + item +
                                     "\": expected KIND:COUNT with a count of at least 1, as in "
                                     "big:2,little:4");
    }
    kc.kind = item.substr(0, colon);
    for (const auto& seen : r.counts) {
      if (seen.kind == kc.kind) {
        return Status::InvalidArgument("--cpu-kind names kind " + kc.kind + " twice");
      }
    }
    r.counts.push_back(kc);
    pos = comma + 1;
  }
  return r;
}

std::vector<uint32_t> BlockDistribution(uint32_t ntasks, uint32_t nodes) {
  std::vector<uint32_t> out(nodes, ntasks / nodes);
  for (uint32_t i = 0; i < ntasks % nodes; ++i) ++out[i];
  return out;
}

KindTable::KindTable(const std::vector<std::string>& fastest_first,
                     const std::vector<Node>& nodes) {
  for (const auto& k : fastest_first) {
    if (index_.emplace(k, static_cast<int>(names_.size())).second) names_.push_back(k);
  }
  std::set<std::string> others;
  for (const auto& n : nodes) {
    for (const auto& g : n.cores) {
      if (index_.find(g.kind) == index_.end()) others.insert(g.kind);
    }
  }
  for (const auto& k : others) {
    index_.emplace(k, static_cast<int>(names_.size()));
    names_.push_back(k);
  }
}

int KindTable::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

const NodeState::Range* NodeState::FindKind(int kind) const {
  for (const auto& r : kinds) {
    if (r.kind == kind) return &r;
  }
  return nullptr;
}

bool NodeState::HasFeature(const std::string& f) const {
  return std::find(node->features.begin(), node->features.end(), f) != node->features.end();
}

uint32_t JobShape::CpusOn(size_t i, const NodeState& n) const {
  if (exclusive) return n.CoreCount();
  if (mode == CpuKindRequest::Mode::kCounts) return cpus;
  return tasks[i] * cpus_per_task;
}

uint64_t JobShape::MemFor(uint32_t c, const NodeState& n) const {
  if (mem_per_node_mb != 0) return mem_per_node_mb;
  // An exclusive job without a memory request owns the node, so it gets all of its memory.
  if (exclusive && !mem_given) return n.mem_total;
  return mem_per_cpu_mb * c;
}

uint32_t JobShape::TasksFor(size_t i, uint32_t c) const {
  if (tasks_given) return tasks[i];
  // CONTRACT.md §8.2: without --ntasks a node runs cpus_on_node / cpus_per_task tasks.
  return std::max<uint32_t>(c / cpus_per_task, 1);
}

Result<NodeRange> NodeCountRange(const PendingJob& job) {
  NodeRange r;
  r.min = std::max<uint32_t>({job.min_nodes, 1u, static_cast<uint32_t>(job.nodelist.size())});
  r.max = std::max(job.max_nodes, r.min);
  if (job.ntasks != 0) {
    if (job.ntasks < r.min) {
      return Status::InvalidArgument("cannot run " + std::to_string(job.ntasks) + " tasks on " +
                                     std::to_string(r.min) +
                                     " nodes: ask for at least as many tasks as nodes");
    }
    r.max = std::min(r.max, job.ntasks);
    if (job.ntasks_per_node != 0) {
      const uint32_t needed = (job.ntasks + job.ntasks_per_node - 1) / job.ntasks_per_node;
      r.min = std::max(r.min, needed);
      r.max = std::max(r.max, r.min);
      if (job.max_nodes != 0 && r.min > job.max_nodes) {
        return Status::InvalidArgument(
            std::to_string(job.ntasks) + " tasks at " + std::to_string(job.ntasks_per_node) +
            " per node need " + std::to_string(needed) + " nodes, more than the maximum of " +
            std::to_string(job.max_nodes) + " asked for");
      }
    }
  }
  return r;
}

Result<JobShape> MakeShape(const PendingJob& job, uint32_t n, const KindTable& kinds,
                           uint64_t default_mem_per_cpu_mb) {
  JobShape s;
  s.nodes = n;
  s.cpus_per_task = std::max<uint32_t>(job.cpus_per_task, 1);
  s.exclusive = job.exclusive;
  s.mem_per_node_mb = job.mem_per_node_mb;
  s.mem_per_cpu_mb = job.mem_per_cpu_mb != 0 ? job.mem_per_cpu_mb : default_mem_per_cpu_mb;
  s.mem_given = job.mem_per_node_mb != 0 || job.mem_per_cpu_mb != 0;
  if (job.ntasks != 0) {
    s.tasks = BlockDistribution(job.ntasks, n);
    s.tasks_given = true;
  } else if (job.ntasks_per_node != 0) {
    s.tasks.assign(n, job.ntasks_per_node);
    s.tasks_given = true;
  } else {
    s.tasks.assign(n, 1);
  }
  s.cpus = s.tasks.front() * s.cpus_per_task;
  s.mode = job.cpu_kind.mode;
  if (s.mode == CpuKindRequest::Mode::kKind) {
    s.kind = kinds.Find(job.cpu_kind.kind);
    if (s.kind < 0) {
      return Status::InvalidArgument("no node has CPU kind " + job.cpu_kind.kind);
    }
  } else if (s.mode == CpuKindRequest::Mode::kCounts) {
    uint32_t sum = 0;
    for (const auto& kc : job.cpu_kind.counts) {
      const int k = kinds.Find(kc.kind);
      if (k < 0) return Status::InvalidArgument("no node has CPU kind " + kc.kind);
      s.counts.emplace_back(k, kc.count);
      sum += kc.count;
    }
    if (sum < s.cpus) {
      return Status::InvalidArgument(
          "--cpu-kind gives " + std::to_string(sum) + " cores per node but " +
          std::to_string(s.tasks.front()) + " tasks x " + std::to_string(s.cpus_per_task) +
          " CPUs per task need " + std::to_string(s.cpus) + "; raise the counts");
    }
    s.cpus = sum;
  }
  return s;
}

int SelectCores(const NodeState& n, const JobShape& s, uint32_t cpus, const uint8_t* blocked,
                std::vector<uint32_t>* picked) {
  picked->clear();
  const auto usable = [&](uint32_t i) { return n.free[i] && (blocked == nullptr || !blocked[i]); };
  const auto count = [&](const NodeState::Range& r) {
    if (blocked == nullptr) return r.free;
    uint32_t c = 0;
    for (uint32_t i = r.begin; i < r.end; ++i) c += usable(i) ? 1 : 0;
    return c;
  };
  const auto take = [&](const NodeState::Range& r, uint32_t want) {
    for (uint32_t i = r.begin; i < r.end && want > 0; ++i) {
      if (usable(i)) {
        picked->push_back(i);
        --want;
      }
    }
  };
  if (s.exclusive) {
    for (uint32_t i = 0; i < n.CoreCount(); ++i) {
      if (!usable(i)) return -1;
      picked->push_back(i);
    }
    return 0;
  }
  switch (s.mode) {
    case CpuKindRequest::Mode::kKind: {
      const auto* r = n.FindKind(s.kind);
      if (r == nullptr || count(*r) < cpus) return -1;
      take(*r, cpus);
      return s.kind;
    }
    case CpuKindRequest::Mode::kCounts: {
      for (const auto& [k, c] : s.counts) {
        const auto* r = n.FindKind(k);
        if (r == nullptr || count(*r) < c) {
          picked->clear();
          return -1;
        }
        take(*r, c);
      }
      std::sort(picked->begin(), picked->end());
      return 0;
    }
    case CpuKindRequest::Mode::kAny: {
      uint32_t total = 0;
      for (const auto& r : n.kinds) {
        const uint32_t c = count(r);
        if (c >= cpus) {
          take(r, cpus);
          return r.kind;
        }
        total += c;
      }
      if (total < cpus) return -1;
      // No single kind holds the job here: straddle, fastest kinds first.
      uint32_t want = cpus;
      for (const auto& r : n.kinds) {
        const uint32_t c = std::min(count(r), want);
        take(r, c);
        want -= c;
      }
      return static_cast<int>(n.kinds.size()) + 1000;
    }
  }
  return -1;
}

bool StaticFit(const NodeState& n, const JobShape& s, const PendingJob& job) {
  for (const auto& f : job.features) {
    if (!n.HasFeature(f)) return false;
  }
  if (s.exclusive) {
    const uint32_t need = s.tasks.front() * s.cpus_per_task;
    if (n.CoreCount() < need) return false;
    if (s.mode == CpuKindRequest::Mode::kKind && n.FindKind(s.kind) == nullptr) return false;
    return s.MemFor(n.CoreCount(), n) <= n.mem_total;
  }
  switch (s.mode) {
    case CpuKindRequest::Mode::kKind: {
      const auto* r = n.FindKind(s.kind);
      if (r == nullptr || r->end - r->begin < s.cpus) return false;
      break;
    }
    case CpuKindRequest::Mode::kCounts:
      for (const auto& [k, c] : s.counts) {
        const auto* r = n.FindKind(k);
        if (r == nullptr || r->end - r->begin < c) return false;
      }
      break;
    case CpuKindRequest::Mode::kAny:
      if (n.CoreCount() < s.cpus) return false;
      break;
  }
  return s.MemFor(s.cpus, n) <= n.mem_total;
}

ClusterState::SkipList::SkipList(size_t n) : next_(n + 1) {
  std::iota(next_.begin(), next_.end(), size_t{0});
}

size_t ClusterState::SkipList::Next(size_t i) {
  size_t root = i;
  while (next_[root] != root) root = next_[root];
  while (next_[i] != root) {
    const size_t up = next_[i];
    next_[i] = root;
    i = up;
  }
  return root;
}

ClusterState::ClusterState(const Snapshot& snap, const KindTable& kinds) : kinds_(kinds) {
  nodes_.reserve(snap.nodes.size());
  for (const auto& node : snap.nodes) {
    NodeState n;
    n.node = &node;
    n.available = node.available;
    std::vector<std::pair<int, uint32_t>> cores;  // (kind, id)
    for (const auto& g : node.cores) {
      const int k = kinds.Find(g.kind);
      for (uint32_t id : g.core_ids) cores.emplace_back(k, id);
    }
    std::sort(cores.begin(), cores.end());
    cores.erase(std::unique(cores.begin(), cores.end(),
                            [](const auto& a, const auto& b) { return a.second == b.second; }),
                cores.end());
    std::vector<uint32_t> free_ids = node.free_cores;
    std::sort(free_ids.begin(), free_ids.end());
    for (uint32_t i = 0; i < cores.size(); ++i) {
      const auto [k, id] = cores[i];
      if (n.kinds.empty() || n.kinds.back().kind != k) n.kinds.push_back({k, i, i, 0});
      n.kinds.back().end = i + 1;
      n.core_id.push_back(id);
      const bool is_free = std::binary_search(free_ids.begin(), free_ids.end(), id);
      n.free.push_back(is_free ? 1 : 0);
      if (is_free) {
        ++n.kinds.back().free;
        ++n.free_total;
      }
    }
    n.mem_total = node.memory_total_mb;
    n.mem_free = std::min(node.memory_free_mb, node.memory_total_mb);
    node_index_.emplace(node.name, static_cast<int>(nodes_.size()));
    nodes_.push_back(std::move(n));
  }
  memberships_.resize(nodes_.size());
  const int k_total = kinds_.size();
  for (const auto& p : snap.partitions) {
    if (!part_index_.emplace(p.name, static_cast<int>(parts_.size())).second) continue;
    PartIndex pi;
    pi.partition = &p;
    std::set<int> seen;
    for (const auto& name : p.nodes) {
      const int i = FindNode(name);
      if (i >= 0 && seen.insert(i).second) pi.members.push_back(i);
    }
    const size_t m = pi.members.size();
    pi.by_kind.assign(static_cast<size_t>(k_total) + 2, SkipList(m));
    pi.hist.assign(static_cast<size_t>(k_total) + 1, {});
    for (size_t pos = 0; pos < m; ++pos) {
      const int ni = pi.members[pos];
      const NodeState& n = nodes_[static_cast<size_t>(ni)];
      memberships_[static_cast<size_t>(ni)].emplace_back(static_cast<int>(parts_.size()), pos);
      if (!n.available) {
        for (auto& sl : pi.by_kind) sl.Remove(pos);
        continue;
      }
      const auto bump = [&](size_t k, uint32_t c) {
        if (pi.hist[k].size() <= c) pi.hist[k].resize(c + 1, 0);
        ++pi.hist[k][c];
      };
      for (int k = 0; k < k_total; ++k) {
        const auto* r = n.FindKind(k);
        bump(static_cast<size_t>(k), r ? r->free : 0);
      }
      bump(static_cast<size_t>(k_total), n.free_total);
    }
    parts_.push_back(std::move(pi));
  }
}

int ClusterState::FindNode(const std::string& name) const {
  auto it = node_index_.find(name);
  return it == node_index_.end() ? -1 : it->second;
}

int ClusterState::FindPartition(const std::string& name) const {
  auto it = part_index_.find(name);
  return it == part_index_.end() ? -1 : it->second;
}

bool ClusterState::InPartition(int p, int node) const {
  for (const auto& [q, pos] : memberships_[static_cast<size_t>(node)]) {
    if (q == p) return true;
  }
  return false;
}

uint32_t ClusterState::CountAtLeast(const PartIndex& pi, int k, uint32_t c) const {
  const auto& h = pi.hist[static_cast<size_t>(k)];
  uint32_t sum = 0;
  for (size_t i = c; i < h.size(); ++i) sum += h[i];
  return sum;
}

void ClusterState::HistUpdate(int node, int k, uint32_t before, uint32_t after) {
  if (!nodes_[static_cast<size_t>(node)].available) return;
  for (const auto& [p, pos] : memberships_[static_cast<size_t>(node)]) {
    auto& h = parts_[static_cast<size_t>(p)].hist[static_cast<size_t>(k)];
    --h[before];
    ++h[after];
  }
}

std::optional<std::vector<Pick>> ClusterState::FindNodes(int p, const PendingJob& job,
                                                         const JobShape& s, int64_t end,
                                                         const ReservationBook* book) {
  PartIndex& pi = parts_[static_cast<size_t>(p)];
  const int k_total = kinds_.size();
  std::vector<uint8_t> mask;
  std::vector<uint32_t> cores;
  std::vector<Pick> picks;
  std::vector<int> taken;  // node indexes already in `picks`

  // Whether node `ni` can take the busiest share now (honouring the book); on success
  // appends the pick with that share's cores, fixed up for its real share below.
  const auto try_node = [&](int ni) -> int {
    const NodeState& n = nodes_[static_cast<size_t>(ni)];
    if (!n.available) return -1;
    if (std::find(taken.begin(), taken.end(), ni) != taken.end()) return -1;
    for (const auto& x : job.exclude) {
      if (x == n.node->name) return -1;
    }
    if (!StaticFit(n, s, job)) return -1;
    uint64_t mem_cap = n.mem_free;
    const uint8_t* blocked = nullptr;
    if (book != nullptr) {
      mask.clear();
      if (book->Limits(ni, end, n.CoreCount(), &mask, &mem_cap)) blocked = mask.data();
    }
    if (s.exclusive && !n.Idle()) return -1;
    const uint32_t c = s.CpusOn(0, n);
    if (s.MemFor(c, n) > mem_cap) return -1;
    const int tier = SelectCores(n, s, c, blocked, &cores);
    if (tier < 0) return -1;
    picks.push_back({ni, cores, 0, 0});
    taken.push_back(ni);
    return tier;
  };

  for (const auto& name : job.nodelist) {
    const int ni = FindNode(name);
    if (ni < 0 || !InPartition(p, ni) || try_node(ni) < 0) return std::nullopt;
  }
  const size_t want = s.nodes;
  const auto scan = [&](size_t list, const auto& accept) {
    SkipList& sl = pi.by_kind[list];
    for (size_t pos = sl.Next(0); pos < pi.members.size() && picks.size() < want;
         pos = sl.Next(pos + 1)) {
      const int ni = pi.members[pos];
      const NodeState& n = nodes_[static_cast<size_t>(ni)];
      // Lazily drop nodes that have nothing left for this list: free space only shrinks.
      const bool empty = list < static_cast<size_t>(k_total)
                             ? (n.FindKind(static_cast<int>(list)) == nullptr ||
                                n.FindKind(static_cast<int>(list))->free == 0)
                             : list == static_cast<size_t>(k_total) ? n.free_total == 0 : !n.Idle();
      if (empty) {
        sl.Remove(pos);
        continue;
      }
      const size_t before = picks.size();
      const int tier = try_node(ni);
      if (tier >= 0 && !accept(tier)) {
        picks.resize(before);
        taken.pop_back();
      }
    }
  };
  if (picks.size() < want) {
    const size_t rest = want - picks.size();
    const size_t any_list = static_cast<size_t>(k_total);
    const size_t idle_list = any_list + 1;
    if (s.exclusive) {
      scan(idle_list, [](int) { return true; });
    } else if (s.mode == CpuKindRequest::Mode::kKind) {
      if (CountAtLeast(pi, s.kind, s.cpus) >= rest) {
        scan(static_cast<size_t>(s.kind), [](int) { return true; });
      }
    } else if (s.mode == CpuKindRequest::Mode::kCounts) {
      const auto [k0, c0] = s.counts.front();
      if (CountAtLeast(pi, k0, c0) >= rest) scan(static_cast<size_t>(k0), [](int) { return true; });
    } else if (CountAtLeast(pi, k_total, s.cpus) >= rest) {
      // Fastest kind first: nodes where one kind holds the job, kind by kind, then nodes
      // where it has to straddle.
      for (int k = 0; k < k_total && picks.size() < want; ++k) {
        if (CountAtLeast(pi, k, s.cpus) == 0) continue;
        scan(static_cast<size_t>(k), [k](int tier) { return tier == k; });
      }
      if (picks.size() < want) scan(any_list, [](int) { return true; });
    }
  }
  if (picks.size() < want) return std::nullopt;
  // Node-table order, as Slurm's node lists are (the batch script runs on the first node), not
  // the order the nodes were found in; every pick can hold the busiest share.
  std::sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) { return a.node < b.node; });
  // Real shares: node i of the job gets tasks[i]; the busiest shares go first.
  for (size_t i = 0; i < picks.size(); ++i) {
    Pick& pk = picks[i];
    const NodeState& n = nodes_[static_cast<size_t>(pk.node)];
    const uint32_t c = s.CpusOn(i, n);
    if (c != pk.cores.size()) {
      mask.clear();
      uint64_t cap = n.mem_free;
      const uint8_t* blocked = nullptr;
      if (book != nullptr && book->Limits(pk.node, end, n.CoreCount(), &mask, &cap)) {
        blocked = mask.data();
      }
      SelectCores(n, s, c, blocked, &pk.cores);
    }
    pk.mem_mb = s.MemFor(c, n);
    pk.tasks = s.TasksFor(i, c);
  }
  return picks;
}

void ClusterState::Commit(const std::vector<Pick>& picks) {
  const int k_total = kinds_.size();
  for (const auto& pk : picks) {
    NodeState& n = nodes_[static_cast<size_t>(pk.node)];
    const uint32_t total_before = n.free_total;
    for (uint32_t i : pk.cores) {
      if (!n.free[i]) continue;  // cannot happen: SelectCores only picks free cores
      n.free[i] = 0;
      for (auto& r : n.kinds) {
        if (i >= r.begin && i < r.end) {
          HistUpdate(pk.node, r.kind, r.free, r.free - 1);
          --r.free;
        }
      }
      --n.free_total;
    }
    HistUpdate(pk.node, k_total, total_before, n.free_total);
    n.mem_free -= std::min(n.mem_free, pk.mem_mb);
  }
}

void ClusterState::Release(int node, const std::vector<uint32_t>& cores, uint64_t mem_mb) {
  NodeState& n = nodes_[static_cast<size_t>(node)];
  for (uint32_t i : cores) {
    if (n.free[i]) continue;
    n.free[i] = 1;
    ++n.free_total;
    for (auto& r : n.kinds) {
      if (i >= r.begin && i < r.end) ++r.free;
    }
  }
  n.mem_free = std::min(n.mem_total, n.mem_free + mem_mb);
}

}  // namespace drover::sched
