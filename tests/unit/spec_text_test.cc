#include "cli/spec_text.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

TEST(SpecTextTest, SetsEveryGivenField) {
  v1::JobSpec spec;
  ASSERT_TRUE(ApplySpecText({"2G", "", "1:30:00", "node[1-2]", "node4", "rk1&arm64"}, &spec).ok());
  EXPECT_EQ(spec.mem_per_node_mb(), 2048u);
  EXPECT_EQ(spec.time_limit_minutes(), 90u);
  ASSERT_EQ(spec.nodelist_size(), 2);
  EXPECT_EQ(spec.nodelist(1), "node2");
  ASSERT_EQ(spec.exclude_size(), 1);
  ASSERT_EQ(spec.constraint_size(), 2);
  EXPECT_EQ(spec.constraint(1), "arm64");
}

TEST(SpecTextTest, ErrorsNameTheOption) {
  v1::JobSpec spec;
  EXPECT_NE(ApplySpecText({"lots", "", "", "", "", ""}, &spec).message().find("--mem"), std::string::npos);
  EXPECT_NE(ApplySpecText({"", "x", "", "", "", ""}, &spec).message().find("--mem-per-cpu"), std::string::npos);
  EXPECT_NE(ApplySpecText({"", "", "soon", "", "", ""}, &spec).message().find("--time"), std::string::npos);
  EXPECT_NE(ApplySpecText({"", "", "", "node[1-", "", ""}, &spec).message().find("--nodelist"), std::string::npos);
}

}  // namespace
}  // namespace drover::cli
