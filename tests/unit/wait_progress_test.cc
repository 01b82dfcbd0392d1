#include "cli/wait_progress.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include "cli/exit_codes.h"

namespace drover::cli {
namespace {

class WaitProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

v1::JobInfo Job(v1::JobState state) {
  v1::JobInfo j;
  j.set_job_id(12);
  j.set_state(state);
  j.set_submit_time(3600);  // 01:00:00 UTC
  j.set_reason(state == v1::JOB_STATE_PENDING ? "Resources" : "None");
  if (state != v1::JOB_STATE_PENDING) {
    j.set_start_time(3605);
    j.set_node_list("node1");
  }
  if (state != v1::JOB_STATE_PENDING && state != v1::JOB_STATE_RUNNING) j.set_end_time(3665);
  return j;
}

TEST_F(WaitProgressTest, EventsFollowTheStates) {
  EXPECT_EQ(JobEvents(Job(v1::JOB_STATE_PENDING)).size(), 1u);
  EXPECT_EQ(JobEvents(Job(v1::JOB_STATE_RUNNING)).size(), 2u);
  auto done = JobEvents(Job(v1::JOB_STATE_COMPLETED));
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[2].state, v1::JOB_STATE_COMPLETED);
  EXPECT_EQ(done[2].time, 3665);
}

TEST_F(WaitProgressTest, LinesPerChange) {
  const auto pending = JobEvents(Job(v1::JOB_STATE_PENDING));
  EXPECT_EQ(EventLine("12", pending[0]), "job 12: PENDING at 01:00:00 (Resources)");
  auto failed = Job(v1::JOB_STATE_FAILED);
  failed.set_exit_code(3);
  const auto events = JobEvents(failed);
  EXPECT_EQ(EventLine("12", events[1]), "job 12: RUNNING at 01:00:05 on node1");
  EXPECT_EQ(EventLine("12", events[2]), "job 12: FAILED at 01:01:05, exit code 3");
}

TEST_F(WaitProgressTest, OneUpdatingLine) {
  EXPECT_EQ(ProgressLine("12", JobEvents(Job(v1::JOB_STATE_PENDING)), 3601),
            "job 12: PENDING 01:00:00 (Resources)");
  EXPECT_EQ(ProgressLine("12", JobEvents(Job(v1::JOB_STATE_RUNNING)), 3615),
            "job 12: PENDING 01:00:00 -> RUNNING 01:00:05 on node1 (0:10)");
  EXPECT_EQ(ProgressLine("12", JobEvents(Job(v1::JOB_STATE_COMPLETED)), 4000),
            "job 12: PENDING 01:00:00 -> RUNNING 01:00:05 on node1 -> COMPLETED 01:01:05, exit code 0");
}

TEST_F(WaitProgressTest, ExitCodesOfEndedJobs) {
  EXPECT_EQ(JobExitCode(Job(v1::JOB_STATE_COMPLETED)), 0);
  auto failed = Job(v1::JOB_STATE_FAILED);
  failed.set_exit_code(3);
  EXPECT_EQ(JobExitCode(failed), 3);
  failed.set_exit_code(0);
  failed.set_exit_signal(9);
  EXPECT_EQ(JobExitCode(failed), 137);
  failed.set_exit_signal(0);
  EXPECT_EQ(JobExitCode(failed), kExitFailed);
  EXPECT_EQ(JobExitCode(Job(v1::JOB_STATE_CANCELLED)), kExitJobCancelled);
  EXPECT_EQ(JobExitCode(Job(v1::JOB_STATE_TIMEOUT)), kExitJobTimeout);
  EXPECT_EQ(JobExitCode(Job(v1::JOB_STATE_NODE_FAIL)), kExitJobNodeFail);
  EXPECT_EQ(JobExitCode(Job(v1::JOB_STATE_OUT_OF_MEMORY)), kExitJobOutOfMemory);
}

TEST(ExitCodesTest, StatusesMapToTheDocumentedCodes) {
  EXPECT_EQ(ExitCodeFor(Status::InvalidArgument("x")), kExitUsage);
  EXPECT_EQ(ExitCodeFor(Status::NotFound("x")), kExitNotFound);
  EXPECT_EQ(ExitCodeFor(Status::PermissionDenied("x")), kExitDenied);
  EXPECT_EQ(ExitCodeFor(Status::Unavailable("x")), kExitUnavailable);
  EXPECT_EQ(ExitCodeFor(Status::Internal("x")), kExitFailed);
  EXPECT_TRUE(IsNative("drover submit"));
  EXPECT_FALSE(IsNative("sbatch"));
  EXPECT_EQ(UsageExit("drover queue"), kExitUsage);
  EXPECT_EQ(UsageExit("squeue"), 1);
  EXPECT_EQ(ItemExitCode("drover control", v1::ERROR_CODE_NOT_FOUND), kExitNotFound);
  EXPECT_EQ(ItemExitCode("drover control", v1::ERROR_CODE_PERMISSION_DENIED), kExitDenied);
  EXPECT_EQ(ItemExitCode("drover control", v1::ERROR_CODE_INVALID_ARGUMENT), kExitFailed);
  EXPECT_EQ(ItemExitCode("scontrol", v1::ERROR_CODE_NOT_FOUND), 1);
}

}  // namespace
}  // namespace drover::cli
