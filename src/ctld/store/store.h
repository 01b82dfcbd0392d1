// Store: the controller's durable state, behind the interface the rest of ctld uses.
//
// Changes are committed in batches; Commit() calls `done` only once the batch is durable (or
// failed), and many batches queued while one transaction runs share the next transaction and
// its fsync (group commit). Reads (Load, QueryJobs) may run on the caller's thread while
// commits proceed. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::ctld {

struct StoreBatch {
  std::vector<v1::StoredJob> jobs;  // inserted or replaced whole
  uint64_t next_job_id = 0;         // 0 = unchanged; never moves backwards
  std::vector<v1::StoredNode> nodes;  // administrative node state, replaced whole
  // A batch job's script and environment (a JobSpec holding only those, serialized), written
  // once with its submission and read back at each launch, so the controller does not keep
  // them in memory: with a login shell's environment they are most of a job's bytes.
  std::vector<std::pair<uint64_t, std::string>> payloads;
};

struct StoredState {
  uint64_t next_job_id = 1;
  std::vector<v1::StoredJob> unfinished;         // pending and running, by id
  std::vector<v1::StoredJob> recently_finished;  // ended after `finished_since`
  std::vector<v1::StoredNode> nodes;
};

struct AcctQuery {
  std::vector<uint64_t> job_ids;
  std::vector<std::string> users;
  int64_t start_after = 0;  // 0 = no bound
  int64_t end_before = 0;   // 0 = no bound
};

class Store {
 public:
  virtual ~Store() = default;

  // Everything the controller needs at start. `finished_since`: Unix seconds.
  virtual Result<StoredState> Load(int64_t finished_since) = 0;
  // Queues `batch`; `done` runs once it is durable or has failed (ResourceExhausted when the
  // disk is full, IoError otherwise), on the thread the store's poster delivers to.
  virtual void Commit(StoreBatch batch, std::function<void(Status)> done) = 0;
  // Jobs for accounting, in id order.
  virtual Result<std::vector<v1::StoredJob>> QueryJobs(const AcctQuery& query) = 0;
  // The payload committed for job `id` (see StoreBatch::payloads); NotFound if none.
  virtual Result<std::string> LoadPayload(uint64_t id) = 0;
  // Deletes finished jobs that ended before `cutoff` (Unix seconds); returns how many.
  virtual Result<uint64_t> PruneFinishedBefore(int64_t cutoff) = 0;
};

// Runs a callback on the owner's thread (ctld: asio::post onto its io_context).
using Poster = std::function<void(std::function<void()>)>;

// SQLite in WAL mode with synchronous=FULL at `dir`/drover.db; creates `dir` and applies
// schema migrations on open. Errors name the file and what to check.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& dir, Poster poster);

}  // namespace drover::ctld
