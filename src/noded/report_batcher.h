// ReportBatcher: which job ends noded reports to the controller next, so that ends that come
// close together share one jobs_finished message (one RPC, one store commit in ctld).
//
// One batch is in flight at a time. An end that comes while none is in flight goes at once
// (no added latency when jobs end one by one); ends that come while one is in flight wait for
// its answer and then go together, so the batch grows with the rate of ends on its own,
// without a timer. Pure: the caller sends, and says when the answer came.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

namespace drover::noded {

class ReportBatcher {
 public:
  // At most `max_batch` ends per message; more wait for the next one.
  explicit ReportBatcher(size_t max_batch = 256) : max_batch_(max_batch ? max_batch : 1) {}

  // The end of `job_id` is to be reported (again: after a failed send or at a heartbeat).
  // An id already waiting is not added twice.
  void Add(uint64_t job_id) { waiting_.insert(job_id); }
  // Forgets a waiting end (the job runs again, or its report is no longer wanted).
  void Remove(uint64_t job_id) { waiting_.erase(job_id); }

  // The next batch to send, oldest ids first; empty while one is in flight or when none
  // waits. A non-empty result is in flight until Done().
  std::vector<uint64_t> Next() {
    std::vector<uint64_t> out;
    if (in_flight_ || waiting_.empty()) return out;
    while (!waiting_.empty() && out.size() < max_batch_) {
      out.push_back(*waiting_.begin());
      waiting_.erase(waiting_.begin());
    }
    in_flight_ = true;
    return out;
  }

  // The batch in flight was answered, or its call failed: the next may go.
  void Done() { in_flight_ = false; }

  bool in_flight() const { return in_flight_; }
  size_t waiting() const { return waiting_.size(); }

 private:
  size_t max_batch_;
  std::set<uint64_t> waiting_;
  bool in_flight_ = false;
};

}  // namespace drover::noded
