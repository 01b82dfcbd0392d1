#include "cli/key_value.h"

#include <gtest/gtest.h>

#include "cli/time_text.h"

namespace drover::cli {
namespace {

TEST(KeyValueTest, KeysLowerValuesAsWritten) {
  auto kv = ParseKeyValues({"JobId=12_3", "TimeLimit=1:00:00", "Reason=fan failure", "Empty="}, "e.g. X=1");
  ASSERT_TRUE(kv.ok());
  ASSERT_EQ(kv->size(), 4u);
  EXPECT_EQ((*kv)[0].key, "jobid");
  EXPECT_EQ((*kv)[0].name, "JobId");
  EXPECT_EQ((*kv)[0].value, "12_3");
  EXPECT_EQ((*kv)[2].value, "fan failure");
  EXPECT_EQ((*kv)[3].value, "");
}

TEST(KeyValueTest, AWordWithoutEqualsShowsTheExample) {
  auto kv = ParseKeyValues({"JobId=1", "oops"}, "e.g. JobId=12 TimeLimit=30");
  ASSERT_FALSE(kv.ok());
  EXPECT_EQ(kv.status().message(), "expected KEY=VALUE, got 'oops' (e.g. JobId=12 TimeLimit=30)");
  EXPECT_FALSE(ParseKeyValues({"=5"}, "x").ok());
}

TEST(TimeTextTest, ZeroHasAWordOfItsOwn) {
  EXPECT_EQ(FormatTimestamp(0), "N/A");
  EXPECT_EQ(FormatClock(0), "?");
  EXPECT_EQ(FormatTimestamp(1700000000).size(), 19u);  // 2023-11-14T22:13:20 in any zone
  EXPECT_EQ(FormatClock(1700000000).size(), 8u);
}

}  // namespace
}  // namespace drover::cli
