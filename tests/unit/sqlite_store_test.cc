#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "ctld/store/store.h"

namespace drover::ctld {
namespace {

class SqliteStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drover-store-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> Open() {
    // Callbacks run on the store's writer thread; Commit() below waits for them.
    auto store = OpenSqliteStore(dir_ + "/state", [](std::function<void()> f) { f(); });
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static v1::StoredJob Job(uint64_t id, v1::JobState state, const std::string& user = "alice",
                           int64_t end = 0) {
    v1::StoredJob j;
    j.set_job_id(id);
    j.set_state(state);
    j.set_user(user);
    j.set_submit_time(1000 + static_cast<int64_t>(id));
    j.set_end_time(end);
    j.mutable_spec()->set_script("#!/bin/sh\necho " + std::to_string(id) + "\n");
    return j;
  }

  // Commits and waits for the outcome.
  Status Commit(Store& store, StoreBatch batch) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status result;
    store.Commit(std::move(batch), [&](Status s) {
      std::lock_guard<std::mutex> lock(mu);
      result = s;
      done = true;
      cv.notify_one();
    });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    return result;
  }

  std::string dir_;
};

// A new database starts the id sequence at 1 with no jobs.
TEST_F(SqliteStoreTest, EmptyDatabase) {
  auto store = Open();
  auto state = store->Load(0);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->next_job_id, 1u);
  EXPECT_TRUE(state->unfinished.empty());
}

// What was committed is there after reopening, whole, with the id sequence.
TEST_F(SqliteStoreTest, CommittedJobsSurviveReopen) {
  {
    auto store = Open();
    StoreBatch batch;
    batch.jobs = {Job(1, v1::JOB_STATE_PENDING), Job(2, v1::JOB_STATE_RUNNING),
                  Job(3, v1::JOB_STATE_COMPLETED, "bob", 5000)};
    batch.next_job_id = 4;
    ASSERT_TRUE(Commit(*store, batch).ok());
  }
  auto store = Open();
  auto state = store->Load(4000);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->next_job_id, 4u);
  ASSERT_EQ(state->unfinished.size(), 2u);
  EXPECT_EQ(state->unfinished[1].job_id(), 2u);
  EXPECT_EQ(state->unfinished[0].spec().script(), "#!/bin/sh\necho 1\n");
  ASSERT_EQ(state->recently_finished.size(), 1u);
  EXPECT_TRUE(store->Load(6000)->recently_finished.empty());
}

// A later commit of the same job replaces it; the id sequence never moves backwards.
TEST_F(SqliteStoreTest, ReplaceAndMonotonicSequence) {
  auto store = Open();
  StoreBatch first;
  first.jobs = {Job(7, v1::JOB_STATE_PENDING)};
  first.next_job_id = 8;
  ASSERT_TRUE(Commit(*store, first).ok());
  StoreBatch second;
  second.jobs = {Job(7, v1::JOB_STATE_FAILED, "alice", 9000)};
  second.next_job_id = 3;
  ASSERT_TRUE(Commit(*store, second).ok());
  auto state = store->Load(0);
  EXPECT_EQ(state->next_job_id, 8u);
  EXPECT_TRUE(state->unfinished.empty());
  ASSERT_EQ(state->recently_finished.size(), 1u);
  EXPECT_EQ(state->recently_finished[0].state(), v1::JOB_STATE_FAILED);
}

// Many batches queued at once all complete, and all are stored.
TEST_F(SqliteStoreTest, ConcurrentBatchesAllCommit) {
  auto store = Open();
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  int failed = 0;
  const int kBatches = 200;
  for (int i = 1; i <= kBatches; ++i) {
    StoreBatch b;
    b.jobs = {Job(static_cast<uint64_t>(i), v1::JOB_STATE_PENDING)};
    b.next_job_id = static_cast<uint64_t>(i) + 1;
    store->Commit(std::move(b), [&](Status s) {
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (!s.ok()) ++failed;
      cv.notify_one();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done == kBatches; });
  EXPECT_EQ(failed, 0);
  auto state = store->Load(0);
  EXPECT_EQ(state->unfinished.size(), static_cast<size_t>(kBatches));
  EXPECT_EQ(state->next_job_id, static_cast<uint64_t>(kBatches) + 1);
}

// Accounting queries filter by id, user and time.
TEST_F(SqliteStoreTest, QueryFilters) {
  auto store = Open();
  StoreBatch b;
  b.jobs = {Job(1, v1::JOB_STATE_COMPLETED, "alice", 2000), Job(2, v1::JOB_STATE_COMPLETED, "bob", 8000),
            Job(3, v1::JOB_STATE_RUNNING, "alice")};
  ASSERT_TRUE(Commit(*store, b).ok());
  auto ids = [](const std::vector<v1::StoredJob>& jobs) {
    std::vector<uint64_t> out;
    for (const auto& j : jobs) out.push_back(j.job_id());
    return out;
  };
  EXPECT_EQ(ids(*store->QueryJobs({{2, 3}, {}, 0, 0})), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(ids(*store->QueryJobs({{}, {"alice"}, 0, 0})), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(ids(*store->QueryJobs({{}, {}, 5000, 0})), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(ids(*store->QueryJobs({{}, {}, 0, 1001})), (std::vector<uint64_t>{1}));
}

// A payload committed with its job is read back by id, after a reopen too, and goes with the
// job's row when retention prunes it.
TEST_F(SqliteStoreTest, PayloadsAreReadBackAndPrunedWithTheirJob) {
  {
    auto store = Open();
    StoreBatch b;
    b.jobs = {Job(1, v1::JOB_STATE_COMPLETED, "alice", 2000), Job(2, v1::JOB_STATE_PENDING)};
    b.payloads = {{1, "script one"}, {2, std::string("two\0bytes", 9)}};
    ASSERT_TRUE(Commit(*store, b).ok());
  }
  auto store = Open();
  auto two = store->LoadPayload(2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, std::string("two\0bytes", 9));
  EXPECT_EQ(store->LoadPayload(3).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->PruneFinishedBefore(5000).ok());
  EXPECT_EQ(store->LoadPayload(1).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->LoadPayload(2).ok());
}

// An array's elements share the payload stored under the array's id: retention deletes a
// pruned job's own payload, and the array's only once none of its rows is left.
TEST_F(SqliteStoreTest, PruneKeepsAnArraysPayloadWhileAnElementRemains) {
  auto store = Open();
  auto element = [](uint64_t id, uint64_t array, v1::JobState state, int64_t end) {
    v1::StoredJob j = Job(id, state, "alice", end);
    j.set_array_job_id(array);
    return j;
  };
  StoreBatch b;
  // Array 10: its record (taken by the last element to start) ended long ago, element 11 later,
  // element 12 still runs. Job 13 is no array.
  b.jobs = {element(10, 10, v1::JOB_STATE_COMPLETED, 2000), element(11, 10, v1::JOB_STATE_COMPLETED, 6000),
            element(12, 10, v1::JOB_STATE_RUNNING, 0), Job(13, v1::JOB_STATE_FAILED, "alice", 2000)};
  b.payloads = {{10, "array script"}, {13, "script 13"}};
  ASSERT_TRUE(Commit(*store, b).ok());
  auto pruned = store->PruneFinishedBefore(5000);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2u);
  EXPECT_EQ(store->LoadPayload(13).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->LoadPayload(10).ok());
  // Element 11 is pruned too; element 12 (running) still needs the script, e.g. to run again.
  ASSERT_TRUE(store->PruneFinishedBefore(7000).ok());
  EXPECT_TRUE(store->LoadPayload(10).ok());
  // Once the last element has ended and is pruned, the payload goes.
  b = {};
  b.jobs = {element(12, 10, v1::JOB_STATE_COMPLETED, 8000)};
  ASSERT_TRUE(Commit(*store, b).ok());
  pruned = store->PruneFinishedBefore(9000);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 1u);
  EXPECT_EQ(store->LoadPayload(10).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->QueryJobs({})->empty());
}

// Rows stored before the array column existed get it from their record at migration, so an
// array's payload stays while one of them is left.
TEST_F(SqliteStoreTest, MigrationFillsTheArrayOfOlderRows) {
  {
    auto store = Open();
    StoreBatch b;
    v1::StoredJob array = Job(10, v1::JOB_STATE_COMPLETED, "alice", 2000);
    array.set_array_job_id(10);
    v1::StoredJob element = Job(11, v1::JOB_STATE_PENDING);
    element.set_array_job_id(10);
    b.jobs = {array, element};
    b.payloads = {{10, "array script"}};
    ASSERT_TRUE(Commit(*store, b).ok());
  }
  // Back to schema 3: no array column.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/state/drover.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX jobs_array; ALTER TABLE jobs DROP COLUMN array_job_id;"
                         "UPDATE meta SET value=3 WHERE key='schema_version'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PruneFinishedBefore(5000).ok());
  EXPECT_TRUE(store->LoadPayload(10).ok());
}

// Retention removes finished jobs older than the cutoff, never unfinished ones.
TEST_F(SqliteStoreTest, PruneKeepsUnfinished) {
  auto store = Open();
  StoreBatch b;
  b.jobs = {Job(1, v1::JOB_STATE_COMPLETED, "alice", 2000), Job(2, v1::JOB_STATE_PENDING)};
  ASSERT_TRUE(Commit(*store, b).ok());
  auto pruned = store->PruneFinishedBefore(3000);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 1u);
  EXPECT_EQ(store->QueryJobs({})->size(), 1u);
}

// A state directory that cannot be created is a clear error, not a crash.
TEST_F(SqliteStoreTest, UnusableStateDirectory) {
  std::ofstream(dir_ + "/state") << "not a directory";
  auto store = OpenSqliteStore(dir_ + "/state", [](std::function<void()> f) { f(); });
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(dir_ + "/state"), std::string::npos);
}

// A database written by a newer drover is refused rather than misread.
TEST_F(SqliteStoreTest, NewerSchemaRefused) {
  Open().reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/state/drover.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value=99 WHERE key='schema_version'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenSqliteStore(dir_ + "/state", [](std::function<void()> f) { f(); });
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace drover::ctld
