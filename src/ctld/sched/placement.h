// Placement: which cores of which nodes a job gets, by CPU kind.
//
// The scheduler keeps one ClusterState per pass: a working copy of every node's free cores and
// memory plus, per partition, indexes that let a pass over 10,000 nodes and 100,000 jobs skip
// what cannot fit (skip lists of nodes with free cores of a kind, histograms of free-core
// counts). Free resources only shrink during a pass, which is what makes those indexes cheap.
// JobShape is what a job needs on each node for a given node count; SelectCores picks the
// cores on one node (see types.h for the CPU-kind rules); FindNodes picks the nodes.
// Not thread-safe; a ClusterState belongs to one pass.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "ctld/sched/types.h"

namespace drover::sched {

class ReservationBook;  // backfill.h

// The per-node task counts of a block distribution of `ntasks` over `nodes` nodes: the first
// (ntasks % nodes) nodes get one more. REQUIRES: nodes > 0, ntasks >= nodes.
std::vector<uint32_t> BlockDistribution(uint32_t ntasks, uint32_t nodes);

// Kind names to indexes; index order is speed order (0 = fastest).
class KindTable {
 public:
  // `fastest_first` first, then every other kind any node has, by name.
  KindTable(const std::vector<std::string>& fastest_first, const std::vector<Node>& nodes);
  int Find(const std::string& name) const;  // -1 if no node has it
  const std::string& Name(int index) const { return names_[static_cast<size_t>(index)]; }
  int size() const { return static_cast<int>(names_.size()); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, int> index_;
};

// One node during a pass. Cores are sorted by (kind speed, id) so that each kind is one
// contiguous range and "fastest first, lowest id first" is a forward scan.
struct NodeState {
  struct Range {
    int kind = 0;
    uint32_t begin = 0;
    uint32_t end = 0;
    uint32_t free = 0;
  };
  const Node* node = nullptr;
  bool available = false;
  std::vector<uint32_t> core_id;
  std::vector<uint8_t> free;  // per core
  std::vector<Range> kinds;   // fastest first
  uint32_t free_total = 0;
  uint64_t mem_total = 0;
  uint64_t mem_free = 0;

  const Range* FindKind(int kind) const;
  uint32_t CoreCount() const { return static_cast<uint32_t>(core_id.size()); }
  bool Idle() const { return free_total == CoreCount() && mem_free == mem_total; }
  bool HasFeature(const std::string& f) const;
};

// What a job needs per node when placed on `nodes` nodes.
struct JobShape {
  uint32_t nodes = 1;
  std::vector<uint32_t> tasks;  // per node, largest first; all 1 when no task count was given
  bool tasks_given = false;     // --ntasks or --ntasks-per-node: else tasks = cpus / cpt
  uint32_t cpus_per_task = 1;
  uint32_t cpus = 0;  // cores on the busiest node (not used when exclusive)
  CpuKindRequest::Mode mode = CpuKindRequest::Mode::kAny;
  int kind = -1;                                // kKind
  std::vector<std::pair<int, uint32_t>> counts;  // kCounts: (kind index, cores)
  bool exclusive = false;
  uint64_t mem_per_node_mb = 0;  // explicit --mem
  uint64_t mem_per_cpu_mb = 0;   // explicit --mem-per-cpu, else the configured default
  bool mem_given = false;

  // Cores node `i` of the job gets (exclusive: every core of `n`).
  uint32_t CpusOn(size_t i, const NodeState& n) const;
  uint64_t MemFor(uint32_t cpus, const NodeState& n) const;
  uint32_t TasksFor(size_t i, uint32_t cpus) const;
};

// The node-count range a job may use, after its tasks, --ntasks-per-node and nodelist.
struct NodeRange {
  uint32_t min = 1;
  uint32_t max = 1;
};
Result<NodeRange> NodeCountRange(const PendingJob& job);

// REQUIRES: n within NodeCountRange(job). InvalidArgument names what the user must change
// (unknown kind, counts too small for the tasks, ...).
Result<JobShape> MakeShape(const PendingJob& job, uint32_t n, const KindTable& kinds,
                           uint64_t default_mem_per_cpu_mb);

// Cores for one node's share: fills `picked` with core indexes into `n` and returns the tier
// (kind index when one kind holds them, kinds.size() when "any" straddles), or -1 when the
// node cannot hold `cpus` now. `blocked` (nullable, per core) marks cores held for a
// reservation.
int SelectCores(const NodeState& n, const JobShape& s, uint32_t cpus, const uint8_t* blocked,
                std::vector<uint32_t>* picked);

// True when `n` could ever hold the job's busiest share: features, kinds, total cores and
// memory, ignoring what is free now. Exclusion lists are the caller's.
bool StaticFit(const NodeState& n, const JobShape& s, const PendingJob& job);

struct Pick {
  int node = 0;
  std::vector<uint32_t> cores;  // indexes into NodeState::core_id
  uint64_t mem_mb = 0;
  uint32_t tasks = 0;
};

class ClusterState {
 public:
  ClusterState(const Snapshot& snap, const KindTable& kinds);

  const std::vector<NodeState>& nodes() const { return nodes_; }
  std::vector<NodeState>& mutable_nodes() { return nodes_; }
  int FindNode(const std::string& name) const;
  int FindPartition(const std::string& name) const;
  const Partition& partition(int p) const { return *parts_[static_cast<size_t>(p)].partition; }
  // Node indexes of partition `p`, config order.
  const std::vector<int>& members(int p) const { return parts_[static_cast<size_t>(p)].members; }
  bool InPartition(int p, int node) const;
  const KindTable& kinds() const { return kinds_; }

  // Nodes and cores for a job that would run until `end`, honouring `book` (nullable). Tries
  // the required nodes first, then the fastest fitting nodes in partition order.
  std::optional<std::vector<Pick>> FindNodes(int p, const PendingJob& job, const JobShape& s,
                                             int64_t end, const ReservationBook* book);
  // Takes the picked cores and memory off the free counts.
  void Commit(const std::vector<Pick>& picks);
  // Returns cores and memory (used by what-if copies; does not touch the partition indexes).
  void Release(int node, const std::vector<uint32_t>& cores, uint64_t mem_mb);

 private:
  // "Next position >= i still worth visiting" with path compression; positions only leave.
  class SkipList {
   public:
    explicit SkipList(size_t n);
    size_t Next(size_t i);
    void Remove(size_t i) { next_[i] = i + 1; }

   private:
    std::vector<size_t> next_;
  };
  struct PartIndex {
    const Partition* partition = nullptr;
    std::vector<int> members;
    std::vector<SkipList> by_kind;  // per kind, then one for "any free core", one for idle
    // hist[k][c]: available members with exactly c free cores of kind k (k == kinds: total).
    std::vector<std::vector<uint32_t>> hist;
  };
  uint32_t CountAtLeast(const PartIndex& pi, int k, uint32_t c) const;
  void HistUpdate(int node, int k, uint32_t before, uint32_t after);

  const KindTable& kinds_;
  std::vector<NodeState> nodes_;
  std::unordered_map<std::string, int> node_index_;
  std::vector<PartIndex> parts_;
  std::unordered_map<std::string, int> part_index_;
  std::vector<std::vector<std::pair<int, size_t>>> memberships_;  // node -> (partition, pos)
};

}  // namespace drover::sched
