// The pre-issue-5 scheduler interface, now an adapter over the new core
// (scheduler_compat.h): delete together with the adapter once the controller uses scheduler.h.
#include "ctld/sched/scheduler.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace drover::sched {
namespace {

class SchedulerCompatTest : public testing::Test {
 protected:
  void AddNode(const std::string& name, uint32_t cpus, uint64_t mem, bool available = true) {
    nodes_.push_back({name, available, cpus, cpus, mem, mem});
    partition_.nodes.push_back(name);
  }
  JobRequest Job(uint64_t id, uint32_t nodes = 1, uint32_t ntasks = 0, uint32_t cpt = 1) {
    JobRequest j;
    j.id = id;
    j.partition = "batch";
    j.min_nodes = nodes;
    j.ntasks = ntasks;
    j.cpus_per_task = cpt;
    return j;
  }
  Decisions Run(const std::vector<JobRequest>& jobs) {
    return Schedule(nodes_, {partition_}, jobs, policy_);
  }

  std::vector<NodeSnapshot> nodes_;
  PartitionSnapshot partition_{"batch", true, {}};
  Policy policy_{100};
};

TEST(SchedulerCompatBlockTest, FirstNodesGetTheRemainder) {
  EXPECT_EQ(BlockDistribution(7, 3), (std::vector<uint32_t>{3, 2, 2}));
  EXPECT_EQ(BlockDistribution(3, 3), (std::vector<uint32_t>{1, 1, 1}));
}

// A job that fits starts on the first nodes in partition order.
TEST_F(SchedulerCompatTest, StartsOnFirstFittingNodes) {
  AddNode("node1", 8, 16000);
  AddNode("node2", 8, 16000);
  auto d = Run({Job(1, 2, 4, 2)});
  ASSERT_EQ(d.starts.size(), 1u);
  ASSERT_EQ(d.starts[0].nodes.size(), 2u);
  EXPECT_EQ(d.starts[0].nodes[0].node, "node1");
  EXPECT_EQ(d.starts[0].nodes[0].cpus, 4u);
  EXPECT_EQ(d.starts[0].nodes[0].tasks, 2u);
  EXPECT_EQ(d.starts[0].nodes[0].memory_mb, 400u);  // default per CPU, not the whole node
}

// First-come first-served: a job that cannot start holds back the ones behind it.
TEST_F(SchedulerCompatTest, HeadOfQueueBlocksLaterJobs) {
  AddNode("node1", 4, 16000);
  auto d = Run({Job(1, 1, 1, 3), Job(2, 1, 1, 4), Job(3, 1, 1, 1)});
  ASSERT_EQ(d.starts.size(), 1u);
  EXPECT_EQ(d.starts[0].job_id, 1u);
  ASSERT_EQ(d.waits.size(), 2u);
  EXPECT_EQ(d.waits[0].reason, "Resources");
  EXPECT_EQ(d.waits[1].reason, "Priority");
}

TEST_F(SchedulerCompatTest, UnavailableNodesAreSkipped) {
  AddNode("node1", 8, 16000, false);
  AddNode("node2", 8, 16000);
  auto d = Run({Job(1)});
  ASSERT_EQ(d.starts.size(), 1u);
  EXPECT_EQ(d.starts[0].nodes[0].node, "node2");
}

TEST_F(SchedulerCompatTest, DownPartitionWaits) {
  AddNode("node1", 8, 16000);
  partition_.up = false;
  auto d = Run({Job(1)});
  ASSERT_EQ(d.waits.size(), 1u);
  EXPECT_EQ(d.waits[0].reason, "PartitionDown");
}

TEST_F(SchedulerCompatTest, InfeasibleRequestsAreExplained) {
  AddNode("node1", 8, 16000);
  AddNode("node2", 8, 16000);
  EXPECT_TRUE(CheckFeasible(Job(1, 2, 4, 4), partition_, nodes_, policy_).ok());
  auto too_many_cpus = CheckFeasible(Job(1, 1, 1, 9), partition_, nodes_, policy_);
  EXPECT_FALSE(too_many_cpus.ok());
  EXPECT_NE(too_many_cpus.message().find("largest node"), std::string::npos);
  EXPECT_FALSE(CheckFeasible(Job(1, 3), partition_, nodes_, policy_).ok());
  EXPECT_FALSE(CheckFeasible(Job(1, 2, 1), partition_, nodes_, policy_).ok());
  JobRequest big_mem = Job(1);
  big_mem.mem_per_node_mb = 20000;
  EXPECT_FALSE(CheckFeasible(big_mem, partition_, nodes_, policy_).ok());
}

// Property: over random workloads, no CPU or megabyte is ever given twice.
TEST_F(SchedulerCompatTest, NeverOvercommits) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    nodes_.clear();
    partition_.nodes.clear();
    for (int i = 0; i < 4; ++i) {
      AddNode("n" + std::to_string(i), 1 + rng() % 8, 1000 + rng() % 8000);
      nodes_.back().cpus_free = rng() % (nodes_.back().cpus_total + 1);
    }
    std::vector<JobRequest> jobs;
    for (uint64_t id = 1; id <= 10; ++id) {
      auto j = Job(id, 1 + rng() % 2, 0, 1 + rng() % 3);
      if (rng() % 2) j.mem_per_node_mb = 100 + rng() % 3000;
      jobs.push_back(j);
    }
    auto d = Run(jobs);
    std::map<std::string, std::pair<uint64_t, uint64_t>> used;
    for (const auto& s : d.starts) {
      for (const auto& a : s.nodes) {
        used[a.node].first += a.cpus;
        used[a.node].second += a.memory_mb;
      }
    }
    for (const auto& n : nodes_) {
      EXPECT_LE(used[n.name].first, n.cpus_free);
      EXPECT_LE(used[n.name].second, n.memory_free_mb);
    }
    EXPECT_EQ(d.starts.size() + d.waits.size(), jobs.size());
  }
}

}  // namespace
}  // namespace drover::sched
