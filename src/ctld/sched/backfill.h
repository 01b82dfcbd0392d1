// Backfill: reservations for the highest-priority waiting jobs, and the rule that nothing
// started after them may delay them (EASY backfill, using time limits).
//
// A reservation pins specific cores and an amount of memory on specific nodes from its start
// time on. A job starting now that would still run at a reservation's start may use neither
// the pinned cores nor more than the memory the reservation leaves spare on that node; a job
// that ends by then may use anything free. That is sufficient for "never delays the
// reservation" because resources only come back between now and the reservation's start.
// When a second reservation is computed, the first one's pinned cores and memory count as
// taken for good, so later reservations are conservative (never optimistic).
// Not thread-safe; one book per pass.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ctld/sched/placement.h"
#include "ctld/sched/types.h"

namespace drover::sched {

class ReservationBook {
 public:
  struct Hold {
    int64_t start = 0;
    std::vector<uint8_t> pinned;  // per core of the node
    uint64_t reserved_mb = 0;
    int64_t spare_mb = 0;  // memory free at `start` beyond the reservation's, not yet promised
  };

  bool empty() const { return holds_.empty(); }
  void Add(int node, Hold hold) { holds_[node].push_back(std::move(hold)); }
  // For a job on `node` that runs until `end`: ORs the cores it must not take into `mask`
  // (resized to `cores`) and lowers `*mem_cap` to the memory it may take. Returns false, and
  // touches nothing, when no reservation on the node starts before `end`.
  bool Limits(int node, int64_t end, size_t cores, std::vector<uint8_t>* mask,
              uint64_t* mem_cap) const;
  // Records that a job using `mem_mb` on `node` runs until `end`.
  void Commit(int node, int64_t end, uint64_t mem_mb);
  const std::unordered_map<int, std::vector<Hold>>& holds() const { return holds_; }

 private:
  std::unordered_map<int, std::vector<Hold>> holds_;
};

// Resources a running job gives back when its time limit ends.
struct ReleaseEvent {
  int64_t time = 0;
  uint64_t job = 0;  // tie-break, for determinism
  int node = 0;
  std::vector<uint32_t> cores;  // indexes into NodeState::core_id
  uint64_t mem_mb = 0;
};

struct FoundReservation {
  int64_t start = 0;
  std::vector<Pick> picks;
  std::vector<int64_t> mem_free_at_start;  // per pick, before the reservation's own memory
};

// The earliest time at or after `now` at which the job fits if every running job ends at its
// time limit and the book's reservations keep their resources for good, and where it would
// run. `events` must be sorted by (time, job). nullopt when it never fits: too few available
// nodes or a running job without a time limit in the way.
std::optional<FoundReservation> FindReservation(const ClusterState& live, int partition,
                                                const PendingJob& job, const JobShape& s,
                                                const std::vector<ReleaseEvent>& events,
                                                const ReservationBook& book, int64_t now);

}  // namespace drover::sched
