#include "ctld/step_layout.h"

#include <gtest/gtest.h>

namespace drover::ctld {
namespace {

std::vector<StepLayoutNode> ThreeNodes(uint32_t cpus = 4) {
  return {{"node1", cpus}, {"node2", cpus}, {"node4", cpus}};
}

std::vector<size_t> Counts(const std::vector<StepPlacement>& p) {
  std::vector<size_t> out;
  for (const auto& n : p) out.push_back(n.task_ids.size());
  return out;
}

TEST(StepLayoutTest, OneTaskPerNodeByDefault) {
  StepRequest r;
  r.nodes = 3;
  auto p = LayOutStep(ThreeNodes(), r);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].node, "node1");
  EXPECT_EQ((*p)[2].node, "node4");
  EXPECT_EQ((*p)[2].task_ids, std::vector<uint32_t>{2});
}

TEST(StepLayoutTest, BlockDistributionBalancesCountsAndNumbersConsecutively) {
  StepRequest r;
  r.nodes = 2;
  r.ntasks = 5;
  auto p = LayOutStep(ThreeNodes(), r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Counts(*p), (std::vector<size_t>{3, 2}));
  EXPECT_EQ((*p)[0].task_ids, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ((*p)[1].task_ids, (std::vector<uint32_t>{3, 4}));
}

TEST(StepLayoutTest, TasksWithoutNodesUseAsManyNodesAsTasks) {
  StepRequest r;
  r.ntasks = 2;
  auto p = LayOutStep(ThreeNodes(), r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Counts(*p), (std::vector<size_t>{1, 1}));
}

TEST(StepLayoutTest, CapacityFollowsCpusPerTask) {
  StepRequest r;
  r.nodes = 1;
  r.ntasks = 3;
  r.cpus_per_task = 2;
  auto p = LayOutStep(ThreeNodes(4), r);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("only 2 fit"), std::string::npos) << p.status().message();
  r.ntasks = 2;
  EXPECT_TRUE(LayOutStep(ThreeNodes(4), r).ok());
}

TEST(StepLayoutTest, NtasksPerNode) {
  StepRequest r;
  r.ntasks_per_node = 1;
  r.ntasks = 3;
  auto p = LayOutStep(ThreeNodes(), r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Counts(*p), (std::vector<size_t>{1, 1, 1}));
  r.ntasks = 0;
  r.ntasks_per_node = 2;
  p = LayOutStep(ThreeNodes(), r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Counts(*p), (std::vector<size_t>{2, 2, 2}));
}

TEST(StepLayoutTest, NodelistPicksNodesInJobOrder) {
  StepRequest r;
  r.nodelist = {"node4", "node1"};
  auto p = LayOutStep(ThreeNodes(), r);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].node, "node1");
  EXPECT_EQ((*p)[1].node, "node4");
  r.nodelist = {"node9"};
  EXPECT_FALSE(LayOutStep(ThreeNodes(), r).ok());
}

TEST(StepLayoutTest, TooManyNodesIsAnErrorUnlessFromEnvironment) {
  StepRequest r;
  r.nodes = 4;
  EXPECT_FALSE(LayOutStep(ThreeNodes(), r).ok());
  r.nodes_soft = true;
  auto p = LayOutStep(ThreeNodes(), r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 3u);
  // SLURM_NNODES=3 with -n1 (inside sbatch -N3): one node, silently.
  r.nodes = 3;
  r.ntasks = 1;
  p = LayOutStep(ThreeNodes(), r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 1u);
}

TEST(StepLayoutTest, FewerTasksThanNodesIsAnError) {
  StepRequest r;
  r.nodes = 3;
  r.ntasks = 2;
  EXPECT_FALSE(LayOutStep(ThreeNodes(), r).ok());
}

}  // namespace
}  // namespace drover::ctld
