#include "common/job.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

TEST(JobStateTest, SlurmSpellings) {
  EXPECT_EQ(JobStateName(JobState::kPending), "PENDING");
  EXPECT_EQ(JobStateCode(JobState::kPending), "PD");
  EXPECT_EQ(JobStateCode(JobState::kOutOfMemory), "OOM");
  EXPECT_EQ(ParseJobState("cd"), JobState::kCompleted);
  EXPECT_EQ(ParseJobState("Running"), JobState::kRunning);
  EXPECT_FALSE(ParseJobState("bogus").has_value());
  EXPECT_FALSE(IsFinished(JobState::kRunning));
  EXPECT_TRUE(IsFinished(JobState::kTimeout));
}

// CONTRACT.md §8.2: N(xR) for R >= 2 consecutive equal counts.
TEST(CompressCountsTest, RunsOfEqualCounts) {
  EXPECT_EQ(CompressCounts({2, 2, 2, 1}), "2(x3),1");
  EXPECT_EQ(CompressCounts({1}), "1");
  EXPECT_EQ(CompressCounts({1, 2, 1}), "1,2,1");
  EXPECT_EQ(CompressCounts({}), "");
}

}  // namespace
}  // namespace drover
