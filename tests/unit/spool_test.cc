#include "noded/spool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace drover::noded {
namespace {

TEST(SpoolPathsTest, JobDirAndScriptPath) {
  EXPECT_EQ(JobDir("/var/spool/drover/node1", 7), "/var/spool/drover/node1/job_7");
  EXPECT_EQ(ScriptPath("/var/spool/drover/node1", 7), "/var/spool/drover/node1/scripts/job_7");
}

class SpoolResultTest : public testing::Test {
 protected:
  static JobResult Make(JobState state, int32_t code, int32_t signal, const std::string& reason) {
    JobResult r;
    r.state = state;
    r.exit_code = code;
    r.exit_signal = signal;
    r.reason = reason;
    return r;
  }
  static Result<JobResult> RoundTrip(const JobResult& r) { return DecodeResult(EncodeResult(r)); }
};

// Every state survives encoding and decoding with its exit status.
TEST_F(SpoolResultTest, RoundTripEveryState) {
  for (JobState s : {JobState::kPending, JobState::kRunning, JobState::kCompleted,
                     JobState::kFailed, JobState::kCancelled, JobState::kTimeout,
                     JobState::kNodeFail, JobState::kOutOfMemory}) {
    auto r = RoundTrip(Make(s, 3, 9, "why"));
    ASSERT_TRUE(r.ok()) << JobStateName(s) << ": " << r.status().message();
    EXPECT_EQ(r->state, s);
    EXPECT_EQ(r->exit_code, 3);
    EXPECT_EQ(r->exit_signal, 9);
    EXPECT_EQ(r->reason, "why");
  }
}

// Negative exit values and a reason containing '=' survive.
TEST_F(SpoolResultTest, RoundTripNegativeValuesAndEqualsInReason) {
  auto r = RoundTrip(Make(JobState::kFailed, -1, 0, "launch failed: a=b"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_EQ(r->reason, "launch failed: a=b");
}

// A newline in the reason cannot inject a line: it becomes a space.
TEST_F(SpoolResultTest, NewlineInReasonBecomesSpace) {
  auto r = RoundTrip(Make(JobState::kFailed, 1, 0, "one\nstate=COMPLETED"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, JobState::kFailed);
  EXPECT_EQ(r->reason, "one state=COMPLETED");
}

// The encoded form is the documented key=value lines.
TEST_F(SpoolResultTest, EncodedFormIsKeyValueLines) {
  EXPECT_EQ(EncodeResult(Make(JobState::kTimeout, 0, 15, "TimeLimit")),
            "state=TIMEOUT\nexit_code=0\nexit_signal=15\nreason=TimeLimit\ncpu_ms=0\nmax_rss_kb=0\n"
            "drain_reason=\nrequeue=0\n");
}

// A result without a state line is rejected.
TEST_F(SpoolResultTest, MissingStateIsAnError) {
  auto r = DecodeResult("exit_code=0\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

// An empty (e.g. truncated) file is rejected.
TEST_F(SpoolResultTest, EmptyInputIsAnError) { EXPECT_FALSE(DecodeResult("").ok()); }

// An unknown state name is rejected and named.
TEST_F(SpoolResultTest, UnknownStateIsAnError) {
  auto r = DecodeResult("state=EXPLODED\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("EXPLODED"), std::string::npos);
}

// A non-numeric exit code is rejected rather than thrown.
TEST_F(SpoolResultTest, NonNumericExitCodeIsAnError) {
  EXPECT_FALSE(DecodeResult("state=FAILED\nexit_code=abc\n").ok());
}

// An exit code out of int range is rejected rather than thrown.
TEST_F(SpoolResultTest, OutOfRangeExitCodeIsAnError) {
  EXPECT_FALSE(DecodeResult("state=FAILED\nexit_signal=99999999999999\n").ok());
}

// Lines without '=' and unknown keys are ignored (forward compatibility).
TEST_F(SpoolResultTest, UnknownLinesAreIgnored) {
  auto r = DecodeResult("garbage\nstate=COMPLETED\nfuture_key=1\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, JobState::kCompleted);
}

// Files and directories live in a fresh temporary directory per test.
class SpoolFilesTest : public testing::Test {
 protected:
  void SetUp() override {
    old_umask_ = umask(022);
    char tmpl[] = "/tmp/drover_spool_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    RemoveTree(dir_);
    umask(old_umask_);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  void MakeDir(const std::string& name) { ASSERT_EQ(mkdir(Path(name).c_str(), 0700), 0) << name; }
  void Touch(const std::string& name, unsigned mode = 0644) {
    const int fd = open(Path(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    ASSERT_GE(fd, 0) << name;
    close(fd);
  }
  unsigned ModeOf(const std::string& name) const {
    struct stat st {};
    if (stat(Path(name).c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
  }
  bool Exists(const std::string& path) const { return access(path.c_str(), F_OK) == 0; }

  std::string dir_;
  mode_t old_umask_ = 022;
};

// What WriteFileAtomic writes, ReadWholeFile reads back byte for byte.
TEST_F(SpoolFilesTest, WriteThenReadRoundTrip) {
  const std::string content("binary\0data\n\xff", 13);
  ASSERT_TRUE(WriteFileAtomic(Path("launch.pb"), content, 0600).ok());
  auto r = ReadWholeFile(Path("launch.pb"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, content);
}

// The requested mode is applied to the new file.
TEST_F(SpoolFilesTest, ModeIsHonoured) {
  ASSERT_TRUE(WriteFileAtomic(Path("secret"), "x", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("script"), "#!/bin/sh\n", 0500).ok());
  EXPECT_EQ(ModeOf("secret"), 0600u);
  EXPECT_EQ(ModeOf("script"), 0500u);
}

// Rewriting replaces the content and leaves no temporary file behind.
TEST_F(SpoolFilesTest, OverwriteReplacesContentWithoutLeftovers) {
  ASSERT_TRUE(WriteFileAtomic(Path("result"), "old content that is longer", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("result"), "new", 0600).ok());
  EXPECT_EQ(*ReadWholeFile(Path("result")), "new");
  EXPECT_FALSE(Exists(Path("result.tmp")));
}

// Without the fsync (files a host crash makes moot) the write is the same: whole, with its
// mode, replacing the old content, no temporary file left.
TEST_F(SpoolFilesTest, ProcessCrashSafeWriteIsWholeAndAtomic) {
  ASSERT_TRUE(WriteFileAtomic(Path("task.pid"), "1\n", 0600, Survives::kProcessCrash).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("task.pid"), "42\n", 0500, Survives::kProcessCrash).ok());
  EXPECT_EQ(*ReadWholeFile(Path("task.pid")), "42\n");
  EXPECT_EQ(ModeOf("task.pid"), 0500u);
  EXPECT_FALSE(Exists(Path("task.pid.tmp")));
}

// An empty file can be written and read.
TEST_F(SpoolFilesTest, EmptyContent) {
  ASSERT_TRUE(WriteFileAtomic(Path("empty"), "", 0600).ok());
  auto r = ReadWholeFile(Path("empty"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "");
}

// A temporary file left by a killed writer does not change the mode of the next write.
TEST_F(SpoolFilesTest, StaleTemporaryFileDoesNotLeakItsMode) {
  Touch("launch.pb.tmp", 0644);
  ASSERT_TRUE(WriteFileAtomic(Path("launch.pb"), "x", 0600).ok());
  EXPECT_EQ(ModeOf("launch.pb"), 0600u);
}

// Writing into a directory that does not exist is an I/O error naming the path.
TEST_F(SpoolFilesTest, WriteIntoMissingDirectoryFails) {
  const Status s = WriteFileAtomic(Path("missing/file"), "x", 0600);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("missing/file"), std::string::npos);
}

// Reading a file that does not exist is NotFound.
TEST_F(SpoolFilesTest, ReadMissingFileIsNotFound) {
  auto r = ReadWholeFile(Path("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

// Only job_<digits> entries count, returned in numeric order.
TEST_F(SpoolFilesTest, ListJobDirsIgnoresOtherEntriesAndSorts) {
  MakeDir("job_10");
  MakeDir("job_2");
  MakeDir("job_3");
  MakeDir("scripts");
  MakeDir("job_");
  MakeDir("job_x1");
  MakeDir("job_4a");
  MakeDir("jobs_5");
  Touch("job_6.tmp");
  Touch("README");
  EXPECT_EQ(ListJobDirs(dir_), (std::vector<uint64_t>{2, 3, 10}));
}

// A spool directory that does not exist yet holds no jobs.
TEST_F(SpoolFilesTest, ListJobDirsOfMissingSpoolIsEmpty) {
  EXPECT_TRUE(ListJobDirs(Path("absent")).empty());
}

// A stray entry whose number overflows uint64 is skipped, not fatal.
TEST_F(SpoolFilesTest, ListJobDirsSurvivesHugeNumber) {
  MakeDir("job_1");
  MakeDir("job_99999999999999999999999");
  std::vector<uint64_t> ids;
  ASSERT_NO_THROW(ids = ListJobDirs(dir_));
  EXPECT_EQ(ids, std::vector<uint64_t>{1});
}

// RemoveTree deletes a nested tree.
TEST_F(SpoolFilesTest, RemoveTreeDeletesNestedTree) {
  MakeDir("job_1");
  MakeDir("job_1/sub");
  Touch("job_1/sub/file");
  Touch("job_1/result");
  RemoveTree(Path("job_1"));
  EXPECT_FALSE(Exists(Path("job_1")));
}

// RemoveTree of a missing path is a no-op.
TEST_F(SpoolFilesTest, RemoveTreeOfMissingPathIsFine) {
  RemoveTree(Path("never_there"));
  EXPECT_FALSE(Exists(Path("never_there")));
  EXPECT_TRUE(Exists(dir_));
}

}  // namespace
}  // namespace drover::noded
