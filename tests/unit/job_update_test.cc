#include "cli/job_update.h"

#include <gtest/gtest.h>

#include "common/units.h"

namespace drover::cli {
namespace {

TEST(JobUpdateTest, ScontrolWords) {
  EXPECT_TRUE(IsJobUpdate({"JobId=12", "TimeLimit=30"}));
  EXPECT_TRUE(IsJobUpdate({"jobid=12_3", "Partition=short"}));
  EXPECT_FALSE(IsJobUpdate({"NodeName=node1", "State=DRAIN", "Reason=x"}));

  auto r = ParseJobUpdate({"JobId=12,13", "TimeLimit=1-02:00:00", "Partition=short"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->ids, std::vector<std::string>{"12,13"});
  EXPECT_TRUE(r->request.set_time_limit());
  EXPECT_EQ(r->request.time_limit_minutes(), 26u * 60);
  EXPECT_EQ(r->request.partition(), "short");

  auto unlimited = ParseJobUpdate({"timelimit=UNLIMITED", "jobid=7_2"});
  ASSERT_TRUE(unlimited.ok()) << unlimited.status().message();
  EXPECT_EQ(unlimited->request.time_limit_minutes(), kUnlimitedMinutes);
  EXPECT_EQ(unlimited->ids, std::vector<std::string>{"7_2"});

  auto partition_only = ParseJobUpdate({"JobId=5", "Partition=long"});
  ASSERT_TRUE(partition_only.ok());
  EXPECT_FALSE(partition_only->request.set_time_limit());
}

TEST(JobUpdateTest, ErrorsSayWhatIsAccepted) {
  auto bad_time = ParseJobUpdate({"JobId=5", "TimeLimit=soon"});
  ASSERT_FALSE(bad_time.ok());
  EXPECT_NE(bad_time.status().message().find("D-H:M:S"), std::string::npos) << bad_time.status().message();
  EXPECT_NE(bad_time.status().message().find("TimeLimit"), std::string::npos) << bad_time.status().message();
  EXPECT_NE(ParseJobUpdate({"JobId=5"}).status().message().find("TimeLimit="), std::string::npos);
  EXPECT_NE(ParseJobUpdate({"TimeLimit=5"}).status().message().find("JobId="), std::string::npos);
  auto other = ParseJobUpdate({"JobId=5", "Nice=10"});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("Nice"), std::string::npos);
  EXPECT_NE(ParseJobUpdate({"JobId=5", "30"}).status().message().find("KEY=VALUE"), std::string::npos);
}

}  // namespace
}  // namespace drover::cli
