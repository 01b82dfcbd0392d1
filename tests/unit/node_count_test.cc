// -N / -n / --nodelist into a job's node range, shared by sbatch, srun and salloc.
#include "cli/node_count.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

TEST(NodeCountTest, ParsesCountsAndRanges) {
  uint32_t lo = 0, hi = 0;
  ASSERT_TRUE(ParseNodeRange("3", &lo, &hi).ok());
  EXPECT_EQ(lo, 3u);
  EXPECT_EQ(hi, 3u);
  ASSERT_TRUE(ParseNodeRange("2-4", &lo, &hi).ok());
  EXPECT_EQ(lo, 2u);
  EXPECT_EQ(hi, 4u);
  for (const char* bad : {"0", "4-2", "x", "", "-3", "1-", "1234567890"}) {
    auto s = ParseNodeRange(bad, &lo, &hi);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("use N or MIN-MAX"), std::string::npos) << s.message();
  }
}

TEST(NodeCountTest, TasksWithoutNodesMayPackOrSpread) {
  v1::JobSpec spec;
  ASSERT_TRUE(SetNodeRange("", &spec).ok());
  EXPECT_EQ(spec.min_nodes(), 1u) << "one task, one node";
  EXPECT_EQ(spec.max_nodes(), 1u);

  spec.set_ntasks(10);
  ASSERT_TRUE(SetNodeRange("", &spec).ok());
  EXPECT_EQ(spec.min_nodes(), 0u) << "no -N: the scheduler packs on the fewest nodes";
  EXPECT_EQ(spec.max_nodes(), 10u);

  ASSERT_TRUE(SetNodeRange("2-3", &spec).ok());
  EXPECT_EQ(spec.min_nodes(), 2u);
  EXPECT_EQ(spec.max_nodes(), 3u);

  spec.add_nodelist("node1");
  spec.add_nodelist("node2");
  ASSERT_TRUE(SetNodeRange("", &spec).ok());
  EXPECT_EQ(spec.min_nodes(), 2u) << "a nodelist asks for all of its nodes";
  EXPECT_EQ(spec.max_nodes(), 2u);

  EXPECT_FALSE(SetNodeRange("0", &spec).ok());
}

}  // namespace
}  // namespace drover::cli
