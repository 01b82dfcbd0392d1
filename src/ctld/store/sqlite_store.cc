#include <sqlite3.h>
#include <sys/stat.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <thread>

#include "ctld/store/store.h"

namespace drover::ctld {
namespace {

// Schema migrations, applied in order; the index of the last one applied is the schema
// version kept in meta. Never edit one that has shipped: append a new one.
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE jobs(
      id INTEGER PRIMARY KEY,
      state INTEGER NOT NULL,
      finished INTEGER NOT NULL,
      uid INTEGER NOT NULL,
      user TEXT NOT NULL,
      submit_time INTEGER NOT NULL,
      start_time INTEGER NOT NULL,
      end_time INTEGER NOT NULL,
      data BLOB NOT NULL);
    CREATE INDEX jobs_finished ON jobs(finished, end_time);
    CREATE INDEX jobs_user ON jobs(user);
    INSERT INTO meta VALUES ('next_job_id', 1);
    )sql",
    // Drain and down set by an administrator outlive a controller restart.
    R"sql(
    CREATE TABLE nodes(name TEXT PRIMARY KEY, data BLOB NOT NULL);
    )sql",
    // Batch scripts and environments apart from the job rows, which are rewritten at every
    // state change (jobs stored before this keep theirs inside `data`).
    R"sql(
    CREATE TABLE job_payloads(id INTEGER PRIMARY KEY, data BLOB NOT NULL);
    )sql",
    // The array a row belongs to (0: none), so that retention deletes an array's shared payload
    // only once no row of the array is left; filled from `data` for older rows (Migrate).
    R"sql(
    ALTER TABLE jobs ADD COLUMN array_job_id INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX jobs_array ON jobs(array_job_id) WHERE array_job_id<>0;
    )sql",
};
// The schema version the migration above brings (its index + 1).
constexpr int kArrayColumnVersion = 4;

bool IsFinished(v1::JobState s) {
  return s != v1::JOB_STATE_PENDING && s != v1::JOB_STATE_RUNNING && s != v1::JOB_STATE_UNSPECIFIED;
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, Poster poster) : path_(std::move(path)), poster_(std::move(poster)) {}

  ~SqliteStore() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    writes_.reset();
    if (wdb_) sqlite3_close(wdb_);
    payload_read_.reset();  // finalized before its connection closes
    if (rdb_) sqlite3_close(rdb_);
  }

  Status Open() {
    DROVER_RETURN_IF_ERROR(OpenConnection(&wdb_));
    DROVER_RETURN_IF_ERROR(Exec(wdb_, "PRAGMA journal_mode=WAL"));
    // FULL: in WAL mode NORMAL does not fsync at commit, and an acknowledged job must survive
    // a power cut.
    DROVER_RETURN_IF_ERROR(Exec(wdb_, "PRAGMA synchronous=FULL"));
    DROVER_RETURN_IF_ERROR(Migrate());
    writes_ = std::make_unique<WriteStatements>(wdb_);
    if (!writes_->ok()) return Error(wdb_, "preparing the writer's statements");
    DROVER_RETURN_IF_ERROR(OpenConnection(&rdb_));
    writer_ = std::thread([this] { WriterLoop(); });
    return Status::Ok();
  }

  Result<StoredState> Load(int64_t finished_since) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    StoredState state;
    {
      Statement st(rdb_, "SELECT value FROM meta WHERE key='next_job_id'");
      if (!st.ok() || sqlite3_step(st.get()) != SQLITE_ROW) return Error(rdb_, "reading the job id sequence");
      state.next_job_id = static_cast<uint64_t>(sqlite3_column_int64(st.get(), 0));
    }
    Statement st(rdb_, "SELECT data, finished FROM jobs WHERE finished=0 OR end_time>=? ORDER BY id");
    if (!st.ok()) return Error(rdb_, "loading jobs");
    sqlite3_bind_int64(st.get(), 1, finished_since);
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      v1::StoredJob job;
      if (!job.ParseFromArray(sqlite3_column_blob(st.get(), 0), sqlite3_column_bytes(st.get(), 0))) {
        return Status::Internal("corrupt job record in " + path_);
      }
      (sqlite3_column_int(st.get(), 1) ? state.recently_finished : state.unfinished).push_back(std::move(job));
    }
    if (rc != SQLITE_DONE) return Error(rdb_, "loading jobs");
    Statement nodes(rdb_, "SELECT data FROM nodes ORDER BY name");
    if (!nodes.ok()) return Error(rdb_, "loading nodes");
    while ((rc = sqlite3_step(nodes.get())) == SQLITE_ROW) {
      v1::StoredNode node;
      if (!node.ParseFromArray(sqlite3_column_blob(nodes.get(), 0), sqlite3_column_bytes(nodes.get(), 0))) {
        return Status::Internal("corrupt node record in " + path_);
      }
      state.nodes.push_back(std::move(node));
    }
    if (rc != SQLITE_DONE) return Error(rdb_, "loading nodes");
    return state;
  }

  void Commit(StoreBatch batch, std::function<void(Status)> done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back({std::move(batch), std::move(done)});
    }
    cv_.notify_one();
  }

  Result<std::vector<v1::StoredJob>> QueryJobs(const AcctQuery& q) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    std::string sql = "SELECT data FROM jobs WHERE 1=1";
    if (!q.job_ids.empty()) {
      sql += " AND id IN (";
      for (size_t i = 0; i < q.job_ids.size(); ++i) sql += i ? ",?" : "?";
      sql += ")";
    }
    if (!q.users.empty()) {
      sql += " AND user IN (";
      for (size_t i = 0; i < q.users.size(); ++i) sql += i ? ",?" : "?";
      sql += ")";
    }
    if (q.start_after) sql += " AND (finished=0 OR end_time>=?)";
    if (q.end_before) sql += " AND submit_time<=?";
    sql += " ORDER BY id";
    Statement st(rdb_, sql.c_str());
    if (!st.ok()) return Error(rdb_, "querying jobs");
    int i = 1;
    for (uint64_t id : q.job_ids) sqlite3_bind_int64(st.get(), i++, static_cast<sqlite3_int64>(id));
    for (const auto& u : q.users) sqlite3_bind_text(st.get(), i++, u.c_str(), -1, SQLITE_TRANSIENT);
    if (q.start_after) sqlite3_bind_int64(st.get(), i++, q.start_after);
    if (q.end_before) sqlite3_bind_int64(st.get(), i++, q.end_before);
    std::vector<v1::StoredJob> jobs;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      v1::StoredJob job;
      if (job.ParseFromArray(sqlite3_column_blob(st.get(), 0), sqlite3_column_bytes(st.get(), 0))) {
        jobs.push_back(std::move(job));
      }
    }
    if (rc != SQLITE_DONE) return Error(rdb_, "querying jobs");
    return jobs;
  }

  Result<std::string> LoadPayload(uint64_t id) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    if (!payload_read_) payload_read_ = std::make_unique<Statement>(rdb_, "SELECT data FROM job_payloads WHERE id=?");
    Statement& st = *payload_read_;
    if (!st.ok()) return Error(rdb_, "reading the script of job " + std::to_string(id));
    sqlite3_reset(st.get());
    sqlite3_bind_int64(st.get(), 1, static_cast<sqlite3_int64>(id));
    const int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) {
      sqlite3_reset(st.get());
      return Status::NotFound("no script stored for job " + std::to_string(id));
    }
    if (rc != SQLITE_ROW) {
      Status s = Error(rdb_, "reading the script of job " + std::to_string(id));
      sqlite3_reset(st.get());
      return s;
    }
    std::string data(static_cast<const char*>(sqlite3_column_blob(st.get(), 0)),
                     static_cast<size_t>(sqlite3_column_bytes(st.get(), 0)));
    sqlite3_reset(st.get());
    return data;
  }

  Result<uint64_t> PruneFinishedBefore(int64_t cutoff) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    // One transaction: the payloads looked at are those of exactly the rows deleted.
    DROVER_RETURN_IF_ERROR(Exec(rdb_, "BEGIN IMMEDIATE"));
    auto pruned = Prune(cutoff);
    Status s = pruned.ok() ? Exec(rdb_, "COMMIT") : pruned.status();
    if (!s.ok()) {
      (void)Exec(rdb_, "ROLLBACK");
      return s;
    }
    return pruned;
  }

 private:
  struct Pending {
    StoreBatch batch;
    std::function<void(Status)> done;
  };

  // Prepared once for the writer thread, reused by every transaction.
  struct WriteStatements {
    explicit WriteStatements(sqlite3* db)
        : begin(db, "BEGIN IMMEDIATE"),
          commit(db, "COMMIT"),
          upsert(db,
                 "INSERT OR REPLACE INTO jobs(id, state, finished, uid, user, submit_time, "
                 "start_time, end_time, data, array_job_id) VALUES (?,?,?,?,?,?,?,?,?,?)"),
          seq(db, "UPDATE meta SET value=max(value, ?) WHERE key='next_job_id'"),
          node_upsert(db, "INSERT OR REPLACE INTO nodes(name, data) VALUES (?,?)"),
          payload_insert(db, "INSERT OR REPLACE INTO job_payloads(id, data) VALUES (?,?)") {}
    bool ok() const {
      return begin.ok() && commit.ok() && upsert.ok() && seq.ok() && node_upsert.ok() && payload_insert.ok();
    }
    Statement begin, commit, upsert, seq, node_upsert, payload_insert;
  };

  // Runs a prepared statement that returns no rows.
  Status Run(Statement& st, const char* what) {
    sqlite3_reset(st.get());
    const int rc = sqlite3_step(st.get());
    sqlite3_reset(st.get());
    if (rc != SQLITE_DONE) return Error(wdb_, what);
    return Status::Ok();
  }

  Status OpenConnection(sqlite3** db) {
    const int rc = sqlite3_open_v2(path_.c_str(), db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                          SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      return Status::IoError("cannot open the controller database " + path_ + ": " +
                             sqlite3_errstr(rc) + " (check that state_dir exists and is writable)");
    }
    sqlite3_busy_timeout(*db, 10'000);
    return Status::Ok();
  }

  Status Error(sqlite3* db, const std::string& what) {
    const int code = sqlite3_errcode(db);
    const std::string msg = what + " in " + path_ + ": " + sqlite3_errmsg(db);
    if (code == SQLITE_FULL) {
      return Status::ResourceExhausted("the controller's disk is full: " + msg);
    }
    if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM) {
      return Status::IoError("the controller cannot write its state: " + msg);
    }
    return Status::IoError(msg);
  }

  Status Exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      sqlite3_free(err);
      return Error(db, "executing '" + std::string(sql).substr(0, 40) + "'");
    }
    return Status::Ok();
  }

  Status Migrate() {
    int version = 0;
    {
      Statement probe(wdb_, "SELECT value FROM meta WHERE key='schema_version'");
      if (probe.ok() && sqlite3_step(probe.get()) == SQLITE_ROW) version = sqlite3_column_int(probe.get(), 0);
    }
    const int latest = static_cast<int>(std::size(kMigrations));
    if (version > latest) {
      return Status::Unsupported(path_ + " has schema version " + std::to_string(version) +
                                 ", newer than this drover-ctld understands (" + std::to_string(latest) +
                                 "); run the newer version");
    }
    for (int v = version; v < latest; ++v) {
      DROVER_RETURN_IF_ERROR(Exec(wdb_, "BEGIN IMMEDIATE"));
      Status s = Exec(wdb_, kMigrations[v]);
      if (s.ok() && v + 1 == kArrayColumnVersion) s = FillArrayJobIds();
      if (s.ok()) {
        const std::string set = "INSERT OR REPLACE INTO meta VALUES ('schema_version', " + std::to_string(v + 1) + ")";
        s = Exec(wdb_, set.c_str());
      }
      if (s.ok()) s = Exec(wdb_, "COMMIT");
      if (!s.ok()) {
        (void)Exec(wdb_, "ROLLBACK");
        return s.WithContext("migrating the database to schema " + std::to_string(v + 1));
      }
    }
    return Status::Ok();
  }

  // PruneFinishedBefore's work, inside its transaction on rdb_. A payload is kept under the
  // job's id, or an array's under the array's id, shared by the array's record (the last element
  // to start takes it) and every element: it goes once no row of the job or array is left.
  Result<uint64_t> Prune(int64_t cutoff) {
    std::vector<sqlite3_int64> owners;
    {
      Statement st(rdb_,
                   "SELECT DISTINCT CASE WHEN array_job_id<>0 THEN array_job_id ELSE id END FROM jobs "
                   "WHERE finished=1 AND end_time<?");
      if (!st.ok()) return Error(rdb_, "pruning old jobs");
      sqlite3_bind_int64(st.get(), 1, cutoff);
      int rc;
      while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) owners.push_back(sqlite3_column_int64(st.get(), 0));
      if (rc != SQLITE_DONE) return Error(rdb_, "pruning old jobs");
    }
    Statement st(rdb_, "DELETE FROM jobs WHERE finished=1 AND end_time<?");
    if (!st.ok()) return Error(rdb_, "pruning old jobs");
    sqlite3_bind_int64(st.get(), 1, cutoff);
    if (sqlite3_step(st.get()) != SQLITE_DONE) return Error(rdb_, "pruning old jobs");
    const auto pruned = static_cast<uint64_t>(sqlite3_changes(rdb_));
    Statement payload(rdb_,
                      "DELETE FROM job_payloads WHERE id=?1 AND NOT EXISTS (SELECT 1 FROM jobs WHERE id=?1) "
                      "AND NOT EXISTS (SELECT 1 FROM jobs WHERE array_job_id=?1 AND array_job_id<>0)");
    if (!payload.ok()) return Error(rdb_, "pruning old scripts");
    for (sqlite3_int64 owner : owners) {
      sqlite3_reset(payload.get());
      sqlite3_bind_int64(payload.get(), 1, owner);
      if (sqlite3_step(payload.get()) != SQLITE_DONE) return Error(rdb_, "pruning old scripts");
    }
    return pruned;
  }

  // Sets the array_job_id column of the rows stored before it existed (once, at migration).
  Status FillArrayJobIds() {
    std::vector<std::pair<uint64_t, uint64_t>> arrays;  // row id, array id
    {
      Statement st(wdb_, "SELECT id, data FROM jobs");
      if (!st.ok()) return Error(wdb_, "reading jobs");
      int rc;
      while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
        v1::StoredJob job;
        if (!job.ParseFromArray(sqlite3_column_blob(st.get(), 1), sqlite3_column_bytes(st.get(), 1))) {
          return Status::Internal("corrupt job record in " + path_);
        }
        if (job.array_job_id() != 0) {
          arrays.emplace_back(static_cast<uint64_t>(sqlite3_column_int64(st.get(), 0)), job.array_job_id());
        }
      }
      if (rc != SQLITE_DONE) return Error(wdb_, "reading jobs");
    }
    Statement update(wdb_, "UPDATE jobs SET array_job_id=? WHERE id=?");
    if (!update.ok()) return Error(wdb_, "recording array ids");
    for (const auto& [id, array] : arrays) {
      sqlite3_reset(update.get());
      sqlite3_bind_int64(update.get(), 1, static_cast<sqlite3_int64>(array));
      sqlite3_bind_int64(update.get(), 2, static_cast<sqlite3_int64>(id));
      if (sqlite3_step(update.get()) != SQLITE_DONE) return Error(wdb_, "recording array ids");
    }
    return Status::Ok();
  }

  Status Apply(const std::deque<Pending>& group) {
    Statement& upsert = writes_->upsert;
    Statement& seq = writes_->seq;
    Statement& node_upsert = writes_->node_upsert;
    Statement& payload_insert = writes_->payload_insert;
    // Bound without a copy (SQLITE_STATIC): each value outlives its statement's step.
    std::string blob;
    for (const auto& p : group) {
      for (const auto& job : p.batch.jobs) {
        job.SerializeToString(&blob);
        sqlite3_reset(upsert.get());
        sqlite3_bind_int64(upsert.get(), 1, static_cast<sqlite3_int64>(job.job_id()));
        sqlite3_bind_int(upsert.get(), 2, job.state());
        sqlite3_bind_int(upsert.get(), 3, IsFinished(job.state()) ? 1 : 0);
        sqlite3_bind_int64(upsert.get(), 4, job.uid());
        sqlite3_bind_text(upsert.get(), 5, job.user().c_str(), -1, SQLITE_STATIC);
        sqlite3_bind_int64(upsert.get(), 6, job.submit_time());
        sqlite3_bind_int64(upsert.get(), 7, job.start_time());
        sqlite3_bind_int64(upsert.get(), 8, job.end_time());
        sqlite3_bind_blob(upsert.get(), 9, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
        sqlite3_bind_int64(upsert.get(), 10, static_cast<sqlite3_int64>(job.array_job_id()));
        const int rc = sqlite3_step(upsert.get());
        sqlite3_reset(upsert.get());  // lets go of the bound buffers before they change
        if (rc != SQLITE_DONE) return Error(wdb_, "writing job " + std::to_string(job.job_id()));
      }
      for (const auto& [id, data] : p.batch.payloads) {
        sqlite3_reset(payload_insert.get());
        sqlite3_bind_int64(payload_insert.get(), 1, static_cast<sqlite3_int64>(id));
        sqlite3_bind_blob(payload_insert.get(), 2, data.data(), static_cast<int>(data.size()), SQLITE_STATIC);
        const int rc = sqlite3_step(payload_insert.get());
        sqlite3_reset(payload_insert.get());
        if (rc != SQLITE_DONE) return Error(wdb_, "writing the script of job " + std::to_string(id));
      }
      for (const auto& node : p.batch.nodes) {
        node.SerializeToString(&blob);
        sqlite3_reset(node_upsert.get());
        sqlite3_bind_text(node_upsert.get(), 1, node.name().c_str(), -1, SQLITE_STATIC);
        sqlite3_bind_blob(node_upsert.get(), 2, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
        const int rc = sqlite3_step(node_upsert.get());
        sqlite3_reset(node_upsert.get());
        if (rc != SQLITE_DONE) return Error(wdb_, "writing node " + node.name());
      }
      if (p.batch.next_job_id) {
        sqlite3_reset(seq.get());
        sqlite3_bind_int64(seq.get(), 1, static_cast<sqlite3_int64>(p.batch.next_job_id));
        const int rc = sqlite3_step(seq.get());
        sqlite3_reset(seq.get());
        if (rc != SQLITE_DONE) return Error(wdb_, "advancing the job id sequence");
      }
    }
    return Status::Ok();
  }

  // One transaction (and one fsync) for everything queued while the previous one ran.
  void WriterLoop() {
    for (;;) {
      std::deque<Pending> group;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) return;
        group.swap(queue_);
      }
      Status s = Run(writes_->begin, "starting a transaction");
      if (s.ok()) s = Apply(group);
      if (s.ok()) s = Run(writes_->commit, "committing");
      if (!s.ok()) (void)Exec(wdb_, "ROLLBACK");
      for (auto& p : group) {
        auto done = std::move(p.done);
        poster_([done, s] { done(s); });
      }
    }
  }

  std::string path_;
  Poster poster_;
  sqlite3* wdb_ = nullptr;  // writer thread only (after Open)
  std::unique_ptr<WriteStatements> writes_;  // on wdb_; finalized before it is closed
  sqlite3* rdb_ = nullptr;  // readers, under read_mu_
  std::mutex read_mu_;
  std::unique_ptr<Statement> payload_read_;  // on rdb_, under read_mu_
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& dir, Poster poster) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create state_dir " + dir + ": " + ec.message());
  chmod(dir.c_str(), 0700);
  auto store = std::make_unique<SqliteStore>(dir + "/drover.db", std::move(poster));
  DROVER_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace drover::ctld
