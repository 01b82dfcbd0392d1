#include "common/text.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

TEST(TextTest, ChangesAsciiLettersOnly) {
  EXPECT_EQ(AsciiLower("JobId=12_[1-3]"), "jobid=12_[1-3]");
  EXPECT_EQ(AsciiUpper("sigusr1 \xc3\xa9"), "SIGUSR1 \xc3\xa9");
  EXPECT_TRUE(EqualsIgnoreCase("TimeLimit", "timelimit"));
  EXPECT_FALSE(EqualsIgnoreCase("TimeLimit", "TimeLimits"));
  EXPECT_FALSE(EqualsIgnoreCase("a", "b"));
}

}  // namespace
}  // namespace drover
