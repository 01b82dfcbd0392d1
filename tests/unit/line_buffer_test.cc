#include "cli/line_buffer.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

TEST(LineBufferTest, EmitsWholeLinesOnly) {
  LineBuffer b;
  EXPECT_EQ(b.Feed("hel"), "");
  EXPECT_EQ(b.Feed("lo\nwor"), "hello\n");
  EXPECT_EQ(b.Feed("ld\n\n"), "world\n\n");
  EXPECT_EQ(b.Flush(), "");
}

TEST(LineBufferTest, LabelsEveryLineAndTheUnfinishedRest) {
  LineBuffer b("3: ");
  EXPECT_EQ(b.Feed("a\nb"), "3: a\n");
  EXPECT_EQ(b.Feed("c\nd"), "3: bc\n");
  EXPECT_EQ(b.Flush(), "3: d");
  EXPECT_EQ(b.Flush(), "");
}

TEST(LineBufferTest, AnEndlessLineIsLetOutPastOneMebibyte) {
  LineBuffer b;
  std::string big(1u << 20, 'x');
  EXPECT_EQ(b.Feed(big), "");
  EXPECT_EQ(b.Feed("y").size(), (1u << 20) + 1);
}

}  // namespace
}  // namespace drover::cli
