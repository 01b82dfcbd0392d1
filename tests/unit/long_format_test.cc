#include "cli/long_format.h"

#include <gtest/gtest.h>

#include "cli/acct_fields.h"

namespace drover::cli {
namespace {

std::string Percent(const std::string& spec) {
  auto r = LongFormatToPercent(spec, SqueueLongNames());
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : "";
}

TEST(LongFormatTest, NameWithoutSizeIsTwentyColumnsLeft) { EXPECT_EQ(Percent("JobID"), "%20A"); }

TEST(LongFormatTest, NamesAreCaseInsensitive) { EXPECT_EQ(Percent("jobarrayid,STATE"), "%20i%20T"); }

TEST(LongFormatTest, SizeDotAndSuffix) {
  EXPECT_EQ(Percent("JobArrayID:.19 ,Partition:9,Name:0|"), "%.19i %9P%j|");
}

TEST(LongFormatTest, PercentInSuffixStaysLiteral) { EXPECT_EQ(Percent("State:5%"), "%5T%%"); }

TEST(LongFormatTest, UnknownNameListsTheKnownOnes) {
  auto r = LongFormatToPercent("JobID,Bogus", SqueueLongNames());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Bogus"), std::string::npos);
  EXPECT_NE(r.status().message().find("TimeLeft"), std::string::npos);
}

TEST(LongFormatTest, EmptyIsAnError) { EXPECT_FALSE(LongFormatToPercent("", SqueueLongNames()).ok()); }

TEST(LongFormatTest, SinfoNames) {
  auto r = LongFormatToPercent("Partition,CPUsState:.14", SinfoLongNames());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "%20P%.14C");
}

TEST(AcctTimeTest, RelativeTimes) {
  EXPECT_EQ(*ParseAcctTime("now", 1000000), 1000000);
  EXPECT_EQ(*ParseAcctTime("now+1hour", 1000000), 1003600);
  EXPECT_EQ(*ParseAcctTime("now-2days", 1000000), 1000000 - 2 * 86400);
  EXPECT_EQ(*ParseAcctTime("now+90", 1000000), 1000090);
  EXPECT_EQ(*ParseAcctTime("now+3minutes", 1000000), 1000180);
}

TEST(AcctTimeTest, BeginTimeOfDayAlreadyPastIsTomorrow) {
  const int64_t now = *ParseAcctTime("2026-03-10T12:00:00", 0);
  EXPECT_EQ(*ParseBeginTime("11:00", now), *ParseAcctTime("2026-03-11T11:00:00", 0));
  EXPECT_EQ(*ParseBeginTime("13:00", now), *ParseAcctTime("2026-03-10T13:00:00", 0));
  EXPECT_EQ(*ParseBeginTime("2026-03-01", now), *ParseAcctTime("2026-03-01", 0));
  EXPECT_EQ(*ParseBeginTime("now+1hour", now), now + 3600);
}

TEST(AcctTimeTest, BadFormsNameTheAcceptedOnes) {
  for (const char* bad : {"now+", "now+-3", "now+3fortnights", "yesterdayish"}) {
    auto r = ParseAcctTime(bad, 1000000);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("now"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace drover::cli
