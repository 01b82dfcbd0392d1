#include "ctld/reconfigure_plan.h"

#include <gtest/gtest.h>

namespace drover::ctld {
namespace {

Config Parse(const std::string& extra_nodes, const std::string& partitions, const std::string& other = "") {
  auto c = ParseConfig("controller: {host: head}\n" + other +
                           "nodes:\n  - {names: \"node[1-2]\", cpus: 4, memory: 4G}\n" + extra_nodes +
                           "partitions:\n" + partitions,
                       "test.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return *c;
}

constexpr const char* kBatch = "  - {name: batch, nodes: \"node[1-2]\", default: true}\n";

TEST(ReconfigurePlanTest, NothingChanged) {
  const Config a = Parse("", kBatch);
  const auto plan = PlanReconfigure(a, a, {});
  EXPECT_TRUE(plan.changes.empty());
  EXPECT_TRUE(plan.needs_restart.empty());
}

TEST(ReconfigurePlanTest, NodesAddedAndPartitionsChangedApplyLive) {
  const Config a = Parse("", kBatch);
  const Config b = Parse("  - {names: node3, cpus: 4, memory: 4G}\n",
                         "  - {name: batch, nodes: \"node[1-3]\", default: true, max_time: 30, state: drain}\n"
                         "  - {name: short, nodes: node3}\n",
                         "timeouts: {node_timeout: 20}\n");
  const auto plan = PlanReconfigure(a, b, {"batch"});
  EXPECT_TRUE(plan.needs_restart.empty()) << plan.needs_restart.front();
  const std::vector<std::string> want = {"node node3 added",
                                         "partition batch: Nodes node1,node2,node3 State DRAIN MaxTime 30:00",
                                         "partition short added", "node_timeout: 20s"};
  EXPECT_EQ(plan.changes, want);
}

TEST(ReconfigurePlanTest, EventPassLimitsApplyLive) {
  const Config a = Parse("", kBatch);
  const Config b = Parse("", kBatch, "scheduling: {event_pass_depth: 50}\n");
  const auto plan = PlanReconfigure(a, b, {});
  EXPECT_TRUE(plan.needs_restart.empty());
  const std::vector<std::string> want = {"event passes: depth 50, threshold 800"};
  EXPECT_EQ(plan.changes, want);
}

TEST(ReconfigurePlanTest, SettingsThatNeedARestartAreNamed) {
  const Config a = Parse("", kBatch);
  const Config b = Parse("", kBatch, "timeouts: {kill_wait: 3}\nprolog: /bin/true\n");
  const auto plan = PlanReconfigure(a, b, {});
  const std::vector<std::string> want = {"kill_wait (drover-noded)", "prolog/epilog (drover-noded)"};
  EXPECT_EQ(plan.needs_restart, want);
}

TEST(ReconfigurePlanTest, ChangedOrRemovedNodesAndBusyPartitionsNeedARestart) {
  const Config a = Parse("", kBatch + std::string("  - {name: extra, nodes: node2}\n"));
  auto b = ParseConfig("controller: {host: head}\nnodes:\n  - {names: node1, cpus: 8, memory: 4G}\n"
                       "partitions:\n  - {name: batch, nodes: node1, default: true}\n",
                       "test.yaml");
  ASSERT_TRUE(b.ok()) << b.status().message();
  const auto plan = PlanReconfigure(a, *b, {"extra"});
  const std::vector<std::string> want = {"node node1 changed (drover-ctld and its drover-noded)",
                                         "node node2 removed (drover-ctld)",
                                         "partition extra removed while jobs use it (cancel them first)"};
  EXPECT_EQ(plan.needs_restart, want);
  EXPECT_EQ(plan.changes, (std::vector<std::string>{"partition batch: Nodes node1"}));
}

}  // namespace
}  // namespace drover::ctld
