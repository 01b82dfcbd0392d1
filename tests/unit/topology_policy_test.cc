// The topology policy: CompareTopology / ApplyHardware (pure) and the controller's registration
// path under strict, config and hardware.
#include "ctld/topology_policy.h"

#include <gtest/gtest.h>

#include "ctld/controller.h"

namespace drover::ctld {
namespace {

CoreKindConfig Kind(const std::string& name, std::vector<uint32_t> ids, uint32_t capacity = 0) {
  return {name, std::move(ids), capacity};
}

NodeConfig Rk1Entry(const std::string& name = "node1") {
  NodeConfig n;
  n.name = name;
  n.address = name;
  n.cores = {Kind("little", {0, 1, 2, 3}), Kind("big", {4, 5, 6, 7})};
  n.cpus = 8;
  n.memory_mb = 15360;
  return n;
}

HardwareReport Rk1Hardware() {
  HardwareReport hw;
  hw.kinds = {Kind("big", {4, 5, 6, 7}, 1024), Kind("little", {0, 1, 2, 3}, 414)};
  hw.memory_mb = 15671;
  hw.packages = 3;
  return hw;
}

TEST(CompareTopology, MatchingHardwareHasNoDifference) {
  const auto cmp = CompareTopology(Rk1Entry(), Rk1Hardware());
  EXPECT_EQ(cmp.shortfall, "");
  EXPECT_EQ(cmp.difference, "");
}

TEST(CompareTopology, FewerLittleCoresIsAShortfallNamingBothCompositions) {
  HardwareReport hw = Rk1Hardware();
  hw.kinds[1].cpu_ids = {0, 1};
  NodeConfig entry = Rk1Entry();
  entry.cores = {Kind("big", {4, 5, 6, 7}), Kind("little", {0, 1, 2, 3})};
  const auto cmp = CompareTopology(entry, hw);
  EXPECT_EQ(cmp.shortfall, "config says 4 big + 4 little cores, hardware has 4 big + 2 little");
  EXPECT_EQ(cmp.difference, cmp.shortfall);
}

TEST(CompareTopology, SameCountsOtherIdsIsAShortfall) {
  HardwareReport hw = Rk1Hardware();
  hw.kinds = {Kind("big", {0, 1, 2, 3}), Kind("little", {4, 5, 6, 7})};
  const auto cmp = CompareTopology(Rk1Entry(), hw);
  EXPECT_EQ(cmp.shortfall,
            "config says little cores 0-3, hardware has little cores 4-7; config says big cores 4-7, hardware has big "
            "cores 0-3");
}

TEST(CompareTopology, LessMemoryIsAShortfallMoreIsNot) {
  HardwareReport hw = Rk1Hardware();
  hw.memory_mb = 7835;
  EXPECT_EQ(CompareTopology(Rk1Entry(), hw).shortfall, "config says memory 15360M, hardware has 7835M");
  hw.memory_mb = 64000;
  EXPECT_EQ(CompareTopology(Rk1Entry(), hw).difference, "");
}

TEST(CompareTopology, DefaultKindComparesCountsOnly) {
  NodeConfig entry;
  entry.name = "n";
  entry.cores = {Kind(kDefaultCoreKind, {0, 1, 2, 3, 4, 5, 6, 7})};
  entry.cpus = 8;
  entry.memory_mb = 1000;
  EXPECT_EQ(CompareTopology(entry, Rk1Hardware()).difference, "");  // big/little names don't matter
  HardwareReport two;
  two.kinds = {Kind(kDefaultCoreKind, {0, 1})};
  two.memory_mb = 2000;
  EXPECT_EQ(CompareTopology(entry, two).shortfall, "config says 8 cores, hardware has 2");
  HardwareReport more;
  more.kinds = {Kind(kDefaultCoreKind, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})};
  more.memory_mb = 2000;
  const auto cmp = CompareTopology(entry, more);
  EXPECT_EQ(cmp.shortfall, "");
  EXPECT_EQ(cmp.difference, "config says 8 cores, hardware has 10");
}

TEST(CompareTopology, MoreCoresThanConfiguredIsOnlyADifference) {
  NodeConfig entry = Rk1Entry();
  entry.cores = {Kind("big", {4, 5})};
  entry.cpus = 2;
  const auto cmp = CompareTopology(entry, Rk1Hardware());
  EXPECT_EQ(cmp.shortfall, "");
  EXPECT_EQ(cmp.difference, "config says 2 big cores, hardware has 4 big + 4 little");
}

TEST(ApplyHardware, TakesCoresAndMemoryKeepsTheRest) {
  NodeConfig entry;
  entry.name = "n";
  entry.port = 9999;
  entry.cores = {Kind(kDefaultCoreKind, {0, 1})};
  entry.cpus = 2;
  entry.memory_mb = 100;
  const NodeConfig out = ApplyHardware(entry, Rk1Hardware());
  EXPECT_EQ(out.cpus, 8u);
  EXPECT_EQ(out.memory_mb, 15671u);
  EXPECT_EQ(out.port, 9999);
  ASSERT_EQ(out.cores.size(), 2u);
  EXPECT_EQ(out.cores[0].kind, "big");
  EXPECT_EQ(out.cores[0].capacity, 1024u);
  EXPECT_EQ(DescribeHardware(Rk1Hardware()), "4 big + 4 little cores, 15671M, 3 packages, 0 clusters");
}

TEST(MergeKinds, ReportedKindsGoAfterTheConfiguredByRank) {
  EXPECT_EQ(MergeKinds({"default"}, {"little", "big", "turbo"}),
            (std::vector<std::string>{"default", "big", "little", "turbo"}));
  EXPECT_EQ(MergeKinds({"big", "little"}, {"big", "little"}), (std::vector<std::string>{"big", "little"}));
}

class TopologyPolicyTest : public testing::Test {
 protected:
  TopologyPolicyTest() {
    config_.controller_host = "node3";
    config_.cpu_kinds = {"big", "little"};
    config_.nodes = {Rk1Entry("node1")};
    PartitionConfig batch;
    batch.name = "batch";
    batch.nodes = {"node1"};
    batch.is_default = true;
    config_.partitions = {batch};
  }

  Controller& ctl() {
    if (!controller_) controller_ = std::make_unique<Controller>(config_, clock_);
    return *controller_;
  }

  // node1 registers with `hw` as its topology report.
  void Register(const HardwareReport& hw) {
    v1::RegisterNodeRequest r;
    r.set_name("node1");
    r.set_memory_mb(hw.memory_mb);
    r.set_packages(hw.packages);
    r.set_topology_source("test");
    for (const auto& k : hw.kinds) {
      auto* kind = r.add_topology_kinds();
      kind->set_kind(k.kind);
      for (uint32_t id : k.cpu_ids) kind->add_cpu_ids(id);
      kind->set_capacity(k.capacity);
    }
    ASSERT_TRUE(ctl().RegisterNode(r).ok());
  }

  static HardwareReport TwoLittle() {
    HardwareReport hw = Rk1Hardware();
    hw.kinds[1].cpu_ids = {0, 1};
    return hw;
  }

  uint64_t SubmitBig() {
    v1::JobSpec spec;
    spec.set_script("#!/bin/sh\ntrue\n");
    spec.set_work_dir("/tmp");
    spec.set_cpu_kind("big");
    auto id = ctl().Submit(spec, Identity{1000, 1000, {1000}, "alice", "login1", {"alice"}});
    EXPECT_TRUE(id.ok()) << id.status().message();
    if (!id.ok()) return 0;
    ctl().SubmitCommitted(*id, Status::Ok());
    return *id;
  }

  const v1::NodeInfo Node1() { return ctl().QueryNodes().nodes(0); }

  Config config_;
  FakeClock clock_;
  std::unique_ptr<Controller> controller_;
};

TEST_F(TopologyPolicyTest, StrictMakesANodeWithLessInvalidDrainedWithTheReason) {
  Register(TwoLittle());
  const auto info = Node1();
  EXPECT_EQ(info.state(), v1::NODE_STATE_INVALID);
  EXPECT_EQ(info.reason(), "config says 4 big + 4 little cores, hardware has 4 big + 2 little");
  EXPECT_EQ(info.hardware(), "4 big + 2 little cores, 15671M, 3 packages, 0 clusters");
  const auto notices = ctl().TakeNotices();
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("INVALID"), std::string::npos);
  // Never gets jobs.
  SubmitBig();
  EXPECT_TRUE(ctl().Schedule().empty());
  // Fixed hardware (or config) clears it at the next registration.
  Register(Rk1Hardware());
  EXPECT_EQ(Node1().state(), v1::NODE_STATE_IDLE);
  EXPECT_EQ(Node1().reason(), "");
  EXPECT_EQ(ctl().Schedule().size(), 1u);
}

TEST_F(TopologyPolicyTest, ResumeAndFreshStartDoNotLiftInvalid) {
  Register(TwoLittle());
  std::vector<SignalAction> actions;
  const Identity root{0, 0, {0}, "root", "login1", {"root"}};
  v1::UpdateNodeRequest drain;
  drain.add_nodes("node1");
  drain.set_action(v1::NODE_ACTION_DRAIN);
  drain.set_reason("swap fan");
  ASSERT_FALSE(ctl().UpdateNodes(drain, root, &actions)[0].code());
  // Both reasons show while both hold.
  EXPECT_EQ(Node1().state(), v1::NODE_STATE_INVALID);
  EXPECT_EQ(Node1().reason(), "config says 4 big + 4 little cores, hardware has 4 big + 2 little; swap fan");
  v1::UpdateNodeRequest resume;
  resume.add_nodes("node1");
  resume.set_action(v1::NODE_ACTION_RESUME);
  const auto r = ctl().UpdateNodes(resume, root, &actions);
  EXPECT_EQ(r[0].code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_NE(r[0].message().find("node1 stays INVALID: config says 4 big + 4 little cores"), std::string::npos)
      << r[0].message();
  // The operator's drain is gone, the shortfall is not.
  EXPECT_EQ(Node1().state(), v1::NODE_STATE_INVALID);
  EXPECT_EQ(Node1().reason(), "config says 4 big + 4 little cores, hardware has 4 big + 2 little");
  EXPECT_EQ(Node1().drain_user(), "");
  // A restarted noded with the same hardware is still INVALID.
  v1::RegisterNodeRequest again;
  again.set_name("node1");
  again.set_fresh_start(true);
  again.set_memory_mb(15671);
  for (const auto& k : TwoLittle().kinds) {
    auto* kind = again.add_topology_kinds();
    kind->set_kind(k.kind);
    for (uint32_t id : k.cpu_ids) kind->add_cpu_ids(id);
  }
  ASSERT_TRUE(ctl().RegisterNode(again).ok());
  EXPECT_EQ(Node1().state(), v1::NODE_STATE_INVALID);
  SubmitBig();
  EXPECT_TRUE(ctl().Schedule().empty());
}

TEST_F(TopologyPolicyTest, ReconfiguringThePolicyWeighsTheLastReportAgain) {
  Register(TwoLittle());
  ASSERT_EQ(Node1().state(), v1::NODE_STATE_INVALID);
  Config relaxed = config_;
  relaxed.topology_policy = TopologyPolicy::kConfig;
  ASSERT_TRUE(ctl().Reconfigure(relaxed).ok());
  EXPECT_EQ(Node1().state(), v1::NODE_STATE_IDLE);
  EXPECT_EQ(Node1().reason(), "");
  ASSERT_TRUE(ctl().Reconfigure(config_).ok());  // strict again
  EXPECT_EQ(Node1().state(), v1::NODE_STATE_INVALID);
}

TEST_F(TopologyPolicyTest, ConfigPolicyAcceptsAndLogsTheDifferenceOnce) {
  config_.topology_policy = TopologyPolicy::kConfig;
  Register(TwoLittle());
  EXPECT_EQ(Node1().state(), v1::NODE_STATE_IDLE);
  EXPECT_EQ(Node1().cpus(), 8u);
  auto notices = ctl().TakeNotices();
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0],
            "node node1 keeps its configuration (topology_policy config): config says 4 big + 4 little cores, "
            "hardware has 4 big + 2 little");
  Register(TwoLittle());
  EXPECT_TRUE(ctl().TakeNotices().empty());
  SubmitBig();
  EXPECT_EQ(ctl().Schedule().size(), 1u);
}

TEST_F(TopologyPolicyTest, HardwarePolicyUsesTheReport) {
  config_.topology_policy = TopologyPolicy::kHardware;
  config_.nodes[0].cores = {Kind(kDefaultCoreKind, {0, 1})};
  config_.nodes[0].cpus = 2;
  config_.nodes[0].memory_mb = 1000;
  config_.cpu_kinds = {kDefaultCoreKind};
  Register(TwoLittle());
  const auto info = Node1();
  EXPECT_EQ(info.state(), v1::NODE_STATE_IDLE);
  EXPECT_EQ(info.cpus(), 6u);
  EXPECT_EQ(info.memory_mb(), 15671u);
  // The reported kinds are schedulable: a big job lands on the big cores.
  const uint64_t id = SubmitBig();
  const auto launches = ctl().Schedule();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].request.job_id(), id);
  const auto& cores = launches[0].request.allocation(0).core_ids();
  EXPECT_GE(*cores.begin(), 4u);
}

TEST_F(TopologyPolicyTest, NoReportKeepsTheEntry) {
  v1::RegisterNodeRequest r;
  r.set_name("node1");
  r.set_memory_mb(10);
  ASSERT_TRUE(ctl().RegisterNode(r).ok());
  EXPECT_EQ(Node1().state(), v1::NODE_STATE_IDLE);
  EXPECT_TRUE(ctl().TakeNotices().empty());
}

}  // namespace
}  // namespace drover::ctld
