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

TEST(JobUpdateTest, RelativeTimeLimitBothSpellings) {
  struct Case {
    std::vector<std::string> words;
    int64_t delta;
  };
  const Case cases[] = {
      {{"JobId=12", "TimeLimit=+30"}, 30},
      {{"JobId=12", "TimeLimit+=30"}, 30},
      {{"JobId=12", "timelimit=-30"}, -30},
      {{"JobId=12", "TIMELIMIT-=30"}, -30},
      {{"JobId=12", "TimeLimit=+1:00:00"}, 60},
      {{"JobId=12", "TimeLimit=+1-00:00:00"}, 24 * 60},
      {{"JobId=12", "TimeLimit-=2-12"}, -(2 * 24 + 12) * 60},
      {{"JobId=12", "TimeLimit=-1"}, -1},  // Slurm: a decrement, not its -1 = INFINITE
      {{"JobId=12", "TimeLimit=+0:30"}, 1},  // seconds round up to the minute
  };
  for (const Case& c : cases) {
    auto r = ParseJobUpdate(c.words);
    ASSERT_TRUE(r.ok()) << c.words[1] << ": " << r.status().message();
    EXPECT_FALSE(r->request.set_time_limit()) << c.words[1];
    EXPECT_TRUE(r->request.add_time_limit()) << c.words[1];
    EXPECT_EQ(r->request.time_limit_delta_minutes(), c.delta) << c.words[1];
  }
  auto absolute = ParseTimeLimitChange("TimeLimit", "90");
  ASSERT_TRUE(absolute.ok());
  EXPECT_FALSE(absolute->relative);
  EXPECT_EQ(absolute->minutes, 90u);

  auto twice = ParseTimeLimitChange("TimeLimit+", "+30");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("sign once"), std::string::npos) << twice.status().message();
  auto unlimited = ParseTimeLimitChange("TimeLimit", "+UNLIMITED");
  ASSERT_FALSE(unlimited.ok());
  EXPECT_NE(unlimited.status().message().find("UNLIMITED"), std::string::npos) << unlimited.status().message();
  auto bad = ParseJobUpdate({"JobId=5", "TimeLimit+=soon"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("TimeLimit"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(ParseTimeLimitChange("TimeLimit", "+").ok());
  auto both = ParseJobUpdate({"JobId=5", "TimeLimit=30", "TimeLimit+=5"});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("twice"), std::string::npos) << both.status().message();
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
