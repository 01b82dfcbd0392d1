// Scenario tests of the pure scheduler core (issue #5): placement by CPU kind on RK1 nodes,
// feasibility at submission, priority and fair share, EASY backfill, pending reasons, and a
// property test over random workloads.
#include "ctld/sched/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "ctld/sched/placement.h"
#include "ctld/sched/priority.h"

namespace drover::sched {
namespace {

constexpr int64_t kNow = 1'700'000'000;

// A Turing RK1: cores 0-3 Cortex-A55 (little), 4-7 Cortex-A76 (big), 15 GB for jobs.
Node Rk1(const std::string& name) {
  Node n;
  n.name = name;
  n.available = true;
  n.cores = {{"little", {0, 1, 2, 3}}, {"big", {4, 5, 6, 7}}};
  n.free_cores = {0, 1, 2, 3, 4, 5, 6, 7};
  n.memory_total_mb = n.memory_free_mb = 15360;
  n.features = {"rk1", "arm64"};
  return n;
}

class SchedulerTest : public testing::Test {
 protected:
  SchedulerTest() {
    snap_.now = kNow;
    snap_.kinds = {"big", "little"};
    Partition p;
    p.name = "batch";
    snap_.partitions.push_back(p);
    options_.default_mem_per_cpu_mb = 100;
  }

  Node& AddNode(Node n) {
    snap_.partitions[0].nodes.push_back(n.name);
    snap_.nodes.push_back(std::move(n));
    return snap_.nodes.back();
  }
  void AddRk1s(int count) {
    for (int i = 1; i <= count; ++i) AddNode(Rk1("node" + std::to_string(i)));
  }
  PendingJob& Submit(JobId id, uint32_t cpus = 1, const std::string& kind = "",
                     uint32_t minutes = 60) {
    PendingJob j;
    j.id = id;
    j.user = "alice";
    j.uid = 1000;
    j.groups = {"alice"};
    j.partition = "batch";
    j.submit_time = kNow - 100 + static_cast<int64_t>(id);  // earlier ids are older
    j.cpus_per_task = cpus;
    j.cpu_kind = *ParseCpuKind(kind);
    j.time_limit_minutes = minutes;
    snap_.pending.push_back(j);
    return snap_.pending.back();
  }
  // Marks cores busy under a running job that ends `minutes` from now.
  void Running(JobId id, const std::string& node, std::vector<uint32_t> cores, uint64_t mem,
               int64_t minutes, const std::string& user = "carol") {
    for (auto& n : snap_.nodes) {
      if (n.name != node) continue;
      for (uint32_t c : cores) {
        n.free_cores.erase(std::remove(n.free_cores.begin(), n.free_cores.end(), c),
                           n.free_cores.end());
      }
      n.memory_free_mb -= mem;
    }
    RunningJob r;
    r.id = id;
    r.user = user;
    r.start_time = kNow - 60;
    r.end_time = minutes < 0 ? kNever : kNow + minutes * 60;
    r.nodes.push_back({node, std::move(cores), mem, 1});
    snap_.running.push_back(r);
  }

  Plan Run() { return Schedule(snap_, options_); }
  static const JobStart* StartOf(const Plan& plan, JobId id) {
    for (const auto& s : plan.starts) {
      if (s.id == id) return &s;
    }
    return nullptr;
  }
  static std::string ReasonOf(const Plan& plan, JobId id) {
    for (const auto& w : plan.waits) {
      if (w.id == id) return w.reason;
    }
    return "started";
  }
  std::string Infeasible(const PendingJob& j) {
    Status s = CheckFeasible(j, snap_, options_);
    EXPECT_FALSE(s.ok()) << "job " << j.id << " was found feasible";
    return s.message();
  }

  Snapshot snap_;
  Options options_;
};

using Cores = std::vector<uint32_t>;

// The default kind "any" fills the fastest cores first: two A76 cores, not A55s.
TEST_F(SchedulerTest, AnyKindGetsTheFastestCoresOnAnIdleRk1) {
  AddRk1s(1);
  Submit(1, 2);
  const Plan plan = Run();
  ASSERT_NE(StartOf(plan, 1), nullptr);
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].core_ids, (Cores{4, 5}));
}

// --cpu-kind=big -c 4 lands on cores 4-7 (the acceptance scenario of issue #5).
TEST_F(SchedulerTest, BigKindFourCoresLandOnCores4To7) {
  AddRk1s(1);
  Submit(1, 1, "little");
  Submit(2, 4, "big");
  const Plan plan = Run();
  ASSERT_NE(StartOf(plan, 2), nullptr);
  EXPECT_EQ(StartOf(plan, 2)->nodes[0].core_ids, (Cores{4, 5, 6, 7}));
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].core_ids, (Cores{0}));
}

// A kind-restricted job never straddles: with one big core free it waits.
TEST_F(SchedulerTest, KindRestrictedJobWaitsRatherThanStraddle) {
  AddRk1s(1);
  Running(9, "node1", {4, 5, 6}, 100, 30);
  Submit(1, 2, "big");
  const Plan plan = Run();
  EXPECT_EQ(StartOf(plan, 1), nullptr);
  EXPECT_EQ(ReasonOf(plan, 1), reason::kResources);
}

// "any" prefers one slower kind over mixing kinds when the fast kind is short.
TEST_F(SchedulerTest, AnyKindPrefersOneKindOverStraddling) {
  AddRk1s(1);
  Running(9, "node1", {4, 5, 6}, 100, 30);
  Submit(1, 2);
  const Plan plan = Run();
  ASSERT_NE(StartOf(plan, 1), nullptr);
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].core_ids, (Cores{0, 1}));
}

// "any" straddles only when no single kind can hold the job, fast cores first.
TEST_F(SchedulerTest, AnyKindStraddlesWhenNoKindFits) {
  AddRk1s(1);
  Submit(1, 6);
  const Plan plan = Run();
  ASSERT_NE(StartOf(plan, 1), nullptr);
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].core_ids, (Cores{0, 1, 4, 5, 6, 7}));
}

// Per-kind counts give exactly that many cores of each kind.
TEST_F(SchedulerTest, PerKindCountsTakeEachKind) {
  AddRk1s(1);
  Submit(1, 1, "big:2,little:3");
  const Plan plan = Run();
  ASSERT_NE(StartOf(plan, 1), nullptr);
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].core_ids, (Cores{0, 1, 2, 4, 5}));
}

// Across nodes, a node whose big cores are free beats an earlier node with only little ones.
TEST_F(SchedulerTest, AnyKindPicksTheNodeWithFastCoresFree) {
  AddRk1s(2);
  Running(9, "node1", {4, 5, 6, 7}, 100, 30);
  Submit(1, 2);
  const Plan plan = Run();
  ASSERT_NE(StartOf(plan, 1), nullptr);
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].node, "node2");
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].core_ids, (Cores{4, 5}));
}

// Memory defaults to the configured amount per allocated core, not the whole node.
TEST_F(SchedulerTest, MemoryDefaultsPerCore) {
  AddRk1s(1);
  Submit(1, 3);
  Submit(2, 1).mem_per_cpu_mb = 1000;
  Submit(3, 1).mem_per_node_mb = 2048;
  const Plan plan = Run();
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].memory_mb, 300u);
  EXPECT_EQ(StartOf(plan, 2)->nodes[0].memory_mb, 1000u);
  EXPECT_EQ(StartOf(plan, 3)->nodes[0].memory_mb, 2048u);
}

// Memory is consumable: a job that would overcommit a node's memory waits.
TEST_F(SchedulerTest, MemoryIsConsumable) {
  AddRk1s(1);
  Submit(1, 1).mem_per_node_mb = 10000;
  Submit(2, 1).mem_per_node_mb = 10000;
  const Plan plan = Run();
  EXPECT_NE(StartOf(plan, 1), nullptr);
  EXPECT_EQ(ReasonOf(plan, 2), reason::kResources);
}

// Tasks are laid out in block distribution; the counts become SLURM_TASKS_PER_NODE.
TEST_F(SchedulerTest, TasksAreBlockDistributed) {
  AddRk1s(3);
  PendingJob& j = Submit(1, 1);
  j.min_nodes = 3;
  j.ntasks = 7;
  const Plan plan = Run();
  ASSERT_NE(StartOf(plan, 1), nullptr);
  const auto& nodes = StartOf(plan, 1)->nodes;
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(TasksPerNode(nodes), "3,2(x2)");
  EXPECT_EQ(nodes[0].core_ids.size(), 3u);
  EXPECT_EQ(nodes[2].core_ids.size(), 2u);
}

// --ntasks-per-node fixes the tasks on each node and so the node count.
TEST_F(SchedulerTest, NtasksPerNodeSetsTheNodeCount) {
  AddRk1s(3);
  PendingJob& j = Submit(1, 2);
  j.ntasks = 4;
  j.ntasks_per_node = 2;
  const Plan plan = Run();
  ASSERT_NE(StartOf(plan, 1), nullptr);
  EXPECT_EQ(TasksPerNode(StartOf(plan, 1)->nodes), "2(x2)");
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].core_ids, (Cores{4, 5, 6, 7}));
}

// Without --ntasks a node runs its cores / cpus-per-task tasks (CONTRACT.md §8.2).
TEST_F(SchedulerTest, ExclusiveJobTakesTheWholeNode) {
  AddRk1s(2);
  Running(9, "node1", {0}, 100, 30);
  PendingJob& j = Submit(1, 2);
  j.exclusive = true;
  const Plan plan = Run();
  ASSERT_NE(StartOf(plan, 1), nullptr);
  const auto& a = StartOf(plan, 1)->nodes[0];
  EXPECT_EQ(a.node, "node2");
  EXPECT_EQ(a.core_ids.size(), 8u);
  EXPECT_EQ(a.memory_mb, 15360u);
  EXPECT_EQ(a.tasks, 4u);
}

// A job's nodes are in the node table's order (Slurm's node lists, SLURM_JOB_NODELIST, the
// batch host), whatever order placement found them in: node3 with free big cores is found before
// node1 with only little ones, yet node1 comes first, and the bigger share of the tasks with it.
TEST_F(SchedulerTest, NodesAreInTheNodeTablesOrder) {
  AddRk1s(3);
  Running(9, "node1", {4, 5, 6, 7}, 100, 30);
  Running(8, "node2", {0, 1, 2, 3, 4, 5, 6, 7}, 100, 30);
  PendingJob& j = Submit(1, 1);
  j.min_nodes = 2;
  j.ntasks = 3;
  PendingJob& k = Submit(2, 1);
  k.nodelist = {"node3", "node1"};
  const Plan plan = Run();
  ASSERT_NE(StartOf(plan, 1), nullptr);
  const auto& nodes = StartOf(plan, 1)->nodes;
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].node, "node1");
  EXPECT_EQ(nodes[1].node, "node3");
  EXPECT_EQ(TasksPerNode(nodes), "2,1");
  EXPECT_EQ(nodes[0].core_ids.size(), 2u);
  ASSERT_NE(StartOf(plan, 2), nullptr);
  EXPECT_EQ(StartOf(plan, 2)->nodes[0].node, "node1");
  EXPECT_EQ(StartOf(plan, 2)->nodes[1].node, "node3");
}

// --nodelist and --exclude steer placement.
TEST_F(SchedulerTest, NodelistAndExclude) {
  AddRk1s(3);
  Submit(1, 1).nodelist = {"node3"};
  Submit(2, 1).exclude = {"node1", "node2"};
  const Plan plan = Run();
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].node, "node3");
  EXPECT_EQ(StartOf(plan, 2)->nodes[0].node, "node3");
}

// Constraints select nodes by feature.
TEST_F(SchedulerTest, ConstraintSelectsNodesByFeature) {
  AddRk1s(2);
  snap_.nodes[1].features.push_back("nvme");
  Submit(1, 1).features = {"nvme"};
  const Plan plan = Run();
  EXPECT_EQ(StartOf(plan, 1)->nodes[0].node, "node2");
}

// Jobs that can never fit are refused at submission with a reason the user can act on.
TEST_F(SchedulerTest, NeverFittingJobsAreRefusedWithTheReason) {
  AddRk1s(3);
  snap_.partitions[0].max_nodes = 2;
  snap_.partitions[0].max_time_minutes = 120;
  snap_.partitions[0].allow_groups = {"hpc"};
  const auto job = [&](JobId id) {
    PendingJob j;
    j.id = id;
    j.user = "alice";
    j.groups = {"hpc"};
    j.partition = "batch";
    j.time_limit_minutes = 60;
    return j;
  };
  PendingJob j = job(1);
  j.cpus_per_task = 16;
  EXPECT_EQ(Infeasible(j),
            "requested 16 CPUs on one node but the largest node in partition batch has 8 (CPUs "
            "per node = tasks per node x cpus-per-task)");
  j = job(2);
  j.cpus_per_task = 5;
  j.cpu_kind = *ParseCpuKind("big");
  EXPECT_EQ(Infeasible(j),
            "requested 5 big cores on one node but the largest node in partition batch has 4 "
            "(CPUs per node = tasks per node x cpus-per-task)");
  j = job(3);
  j.cpu_kind = *ParseCpuKind("gpu");
  EXPECT_EQ(Infeasible(j),
            "no node has CPU kind gpu in partition batch (its kinds: big, little)");
  j = job(4);
  j.min_nodes = 3;
  EXPECT_EQ(Infeasible(j), "requested 3 nodes but partition batch allows at most 2 per job");
  j = job(5);
  j.time_limit_minutes = 180;
  EXPECT_EQ(Infeasible(j),
            "requested time limit 3:00:00 exceeds the limit of partition batch (2:00:00)");
  j = job(40);
  j.exclude = {"node1", "node2", "node3"};
  EXPECT_EQ(Infeasible(j), "--exclude leaves no node of partition batch");
  j = job(41);
  j.exclude = {"node9"};
  EXPECT_EQ(Infeasible(j), "excluded node node9 is not a node of this cluster");
  j = job(6);
  j.groups = {"guests"};
  EXPECT_EQ(Infeasible(j),
            "user alice may not use partition batch (allowed users: none; allowed groups: hpc)");
  j = job(7);
  j.mem_per_node_mb = 20000;
  EXPECT_EQ(Infeasible(j),
            "requested 20000 MB of memory on one node but the largest node in partition batch "
            "has 15360 MB");
  j = job(8);
  j.features = {"gpu"};
  EXPECT_EQ(Infeasible(j), "no node in partition batch has feature gpu");
  j = job(9);
  j.ntasks = 1;
  j.cpus_per_task = 2;
  j.cpu_kind = *ParseCpuKind("big:1");
  EXPECT_NE(Infeasible(j).find("raise the counts"), std::string::npos);
  snap_.partitions[0].state = PartitionState::kDrain;
  EXPECT_EQ(Infeasible(job(10)),
            "partition batch is draining and accepts no new jobs; submit to another partition "
            "(drover info lists them)");
  snap_.partitions[0].state = PartitionState::kUp;
  j = job(11);
  j.cpus_per_task = 4;
  j.cpu_kind = *ParseCpuKind("big");
  EXPECT_TRUE(CheckFeasible(j, snap_, options_).ok());
  // srun -n40 with no -N may spread: the refusal counts the whole partition, not one node.
  j = job(12);
  j.ntasks = 40;
  j.max_nodes = 64;
  EXPECT_EQ(Infeasible(j), "requested 40 CPUs in all (40 tasks x 1 per task) but partition batch has 24 on 3 nodes");
  j.ntasks = 12;
  EXPECT_TRUE(CheckFeasible(j, snap_, options_).ok()) << "12 tasks spread over 8-core nodes";
}

// A job fitting only on nodes that are down is feasible but waits for ReqNodeNotAvail.
TEST_F(SchedulerTest, RequiredNodeDownIsReqNodeNotAvail) {
  AddRk1s(2);
  snap_.nodes[1].available = false;
  Submit(1, 1).nodelist = {"node2"};
  PendingJob& both = Submit(2, 1);
  both.min_nodes = 2;
  const Plan plan = Run();
  EXPECT_EQ(ReasonOf(plan, 1), reason::kReqNodeNotAvail);
  EXPECT_EQ(ReasonOf(plan, 2), reason::kReqNodeNotAvail);
}

// Held, not yet eligible and dependent jobs wait with their own reasons and block nobody.
TEST_F(SchedulerTest, HeldBeginAndDependencyReasons) {
  AddRk1s(1);
  Submit(1, 8).hold = Hold::kUser;
  Submit(2, 8).hold = Hold::kAdmin;
  Submit(3, 8).begin_time = kNow + 60;
  Submit(4, 8).dependency_satisfied = false;
  Submit(5, 8);
  const Plan plan = Run();
  EXPECT_EQ(ReasonOf(plan, 1), reason::kJobHeldUser);
  EXPECT_EQ(ReasonOf(plan, 2), reason::kJobHeldAdmin);
  EXPECT_EQ(ReasonOf(plan, 3), reason::kBeginTime);
  EXPECT_EQ(ReasonOf(plan, 4), reason::kDependency);
  EXPECT_NE(StartOf(plan, 5), nullptr);
}

// Partition limits and states give Slurm's reasons.
TEST_F(SchedulerTest, PartitionLimitReasons) {
  AddRk1s(2);
  Partition small = snap_.partitions[0];
  small.name = "small";
  small.max_time_minutes = 30;
  small.max_nodes = 1;
  small.allow_users = {"bob"};
  snap_.partitions.push_back(small);
  Partition down = snap_.partitions[0];
  down.name = "down";
  down.state = PartitionState::kDown;
  snap_.partitions.push_back(down);
  Partition inactive = down;
  inactive.name = "inactive";
  inactive.state = PartitionState::kInactive;
  snap_.partitions.push_back(inactive);

  PendingJob& t = Submit(1, 1, "", 60);
  t.partition = "small";
  t.user = "bob";
  PendingJob& n = Submit(2, 1, "", 10);
  n.partition = "small";
  n.user = "bob";
  n.min_nodes = 2;
  Submit(3, 1, "", 10).partition = "small";  // alice is not allowed
  Submit(4, 1).partition = "down";
  Submit(5, 1).partition = "inactive";
  Submit(6, 1).partition = "gone";
  const Plan plan = Run();
  EXPECT_EQ(ReasonOf(plan, 1), reason::kPartitionTimeLimit);
  EXPECT_EQ(ReasonOf(plan, 2), reason::kPartitionNodeLimit);
  EXPECT_EQ(ReasonOf(plan, 3), reason::kPartitionConfig);
  EXPECT_EQ(ReasonOf(plan, 4), reason::kPartitionDown);
  EXPECT_EQ(ReasonOf(plan, 5), reason::kPartitionInactive);
  EXPECT_EQ(ReasonOf(plan, 6), reason::kPartitionConfig);
}

// The first job waiting in a partition waits for Resources, those behind it for Priority.
TEST_F(SchedulerTest, ResourcesThenPriority) {
  AddRk1s(1);
  Running(9, "node1", {0, 1, 2, 3, 4, 5, 6, 7}, 100, 30);
  Submit(1, 8);
  Submit(2, 8);
  const Plan plan = Run();
  EXPECT_EQ(ReasonOf(plan, 1), reason::kResources);
  EXPECT_EQ(ReasonOf(plan, 2), reason::kPriority);
  ASSERT_EQ(plan.reservations.size(), 1u);
  EXPECT_EQ(plan.reservations[0].id, 1u);
  EXPECT_EQ(plan.reservations[0].start_time, kNow + 30 * 60);
}

// Backfill starts a short job in the hole before the top job's reservation, and keeps a long
// one that would delay it waiting.
TEST_F(SchedulerTest, BackfillFillsTheHoleWithoutDelayingTheTopJob) {
  AddRk1s(1);
  Running(9, "node1", {4, 5, 6, 7, 0, 1}, 600, 60);
  Submit(1, 8, "", 120);       // top job: needs the whole node, reserved at now + 60 min
  Submit(2, 2, "", 240);       // would run past the reservation on the cores it needs
  Submit(3, 2, "", 30);        // ends before the reservation: backfilled
  const Plan plan = Run();
  ASSERT_EQ(plan.reservations.size(), 1u);
  EXPECT_EQ(plan.reservations[0].id, 1u);
  EXPECT_EQ(plan.reservations[0].start_time, kNow + 60 * 60);
  EXPECT_EQ(plan.reservations[0].nodes[0].core_ids.size(), 8u);
  EXPECT_EQ(ReasonOf(plan, 1), reason::kResources);
  EXPECT_EQ(ReasonOf(plan, 2), reason::kPriority);
  ASSERT_NE(StartOf(plan, 3), nullptr);
  EXPECT_TRUE(StartOf(plan, 3)->backfilled);
  EXPECT_EQ(StartOf(plan, 3)->nodes[0].core_ids, (Cores{2, 3}));
}

// A long job may still backfill onto a node the reservation does not need.
TEST_F(SchedulerTest, BackfillUsesNodesOutsideTheReservation) {
  AddRk1s(2);
  Running(9, "node1", {0, 1, 2, 3, 4, 5, 6, 7}, 600, 60);
  Running(8, "node2", {4, 5, 6, 7}, 600, 600);
  PendingJob& top = Submit(1, 8, "", 120);
  top.nodelist = {"node1"};
  Submit(2, 4, "", 1000);
  const Plan plan = Run();
  ASSERT_EQ(plan.reservations.size(), 1u);
  ASSERT_NE(StartOf(plan, 2), nullptr);
  EXPECT_EQ(StartOf(plan, 2)->nodes[0].node, "node2");
}

// Without backfill nothing overtakes the first waiting job.
TEST_F(SchedulerTest, StrictOrderWithoutBackfill) {
  AddRk1s(1);
  Running(9, "node1", {4, 5, 6, 7, 0, 1}, 600, 60);
  Submit(1, 8, "", 120);
  Submit(2, 1, "", 10);
  options_.backfill = false;
  const Plan plan = Run();
  EXPECT_EQ(ReasonOf(plan, 2), reason::kPriority);
  EXPECT_TRUE(plan.reservations.empty());
}

// Fair share: the user with less recent usage goes first although submitting later.
TEST_F(SchedulerTest, FairShareReordersTwoUsers) {
  AddRk1s(1);
  Submit(1, 8).user = "alice";
  Submit(2, 8).user = "bob";
  snap_.usage.push_back({"alice", 1e6, kNow - 3600});
  const Plan plan = Run();
  EXPECT_NE(StartOf(plan, 2), nullptr);
  EXPECT_EQ(ReasonOf(plan, 1), reason::kResources);
  ASSERT_EQ(plan.priorities.size(), 2u);
  EXPECT_EQ(plan.priorities[0].id, 2u);
  EXPECT_DOUBLE_EQ(plan.priorities[0].fairshare, 1.0);
  EXPECT_LT(plan.priorities[1].fairshare, 0.5);
}

// Usage decays with the half-life; running jobs count as usage so far.
TEST_F(SchedulerTest, UsageDecaysAndIncludesRunningJobs) {
  EXPECT_DOUBLE_EQ(DecayedUsage(1000, 0, 3600, 3600), 500);
  EXPECT_DOUBLE_EQ(DecayedUsage(1000, 0, 7200, 3600), 250);
  AddRk1s(1);
  Running(9, "node1", {0, 1}, 100, 30, "carol");  // started 60 s ago: 120 CPU-seconds
  Submit(1, 1).user = "carol";
  const Plan plan = Run();
  EXPECT_DOUBLE_EQ(plan.priorities[0].user_usage_cpu_seconds, 120);
}

// The explanation adds up: weighted factors minus nice.
TEST_F(SchedulerTest, PriorityExplanationAddsUp) {
  AddRk1s(1);
  snap_.partitions[0].priority_tier = 2;
  PendingJob& j = Submit(1, 4);
  j.submit_time = kNow - options_.max_age_s / 2;
  j.nice = 100;
  const Plan plan = Run();
  const auto& e = plan.priorities[0];
  EXPECT_DOUBLE_EQ(e.age, 0.5);
  EXPECT_DOUBLE_EQ(e.job_size, 0.5);
  EXPECT_DOUBLE_EQ(e.partition, 1.0);
  EXPECT_DOUBLE_EQ(e.fairshare, 1.0);
  EXPECT_EQ(e.priority, 500 + 500 + 1000 + 10000 - 100);
}

// A higher partition tier and a lower nice move jobs forward.
TEST_F(SchedulerTest, NiceLowersPriority) {
  AddRk1s(1);
  Submit(1, 8).nice = 50;
  Submit(2, 8);
  const Plan plan = Run();
  EXPECT_NE(StartOf(plan, 2), nullptr);
}

TEST(ParseCpuKindTest, Forms) {
  EXPECT_EQ(ParseCpuKind("")->mode, CpuKindRequest::Mode::kAny);
  EXPECT_EQ(ParseCpuKind("any")->mode, CpuKindRequest::Mode::kAny);
  EXPECT_EQ(ParseCpuKind("big")->kind, "big");
  auto counts = ParseCpuKind("big:2,little:4");
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->counts.size(), 2u);
  EXPECT_EQ(counts->counts[1].kind, "little");
  EXPECT_EQ(counts->counts[1].count, 4u);
  EXPECT_FALSE(ParseCpuKind("big:0").ok());
  EXPECT_FALSE(ParseCpuKind("big:2,big:1").ok());
  EXPECT_FALSE(ParseCpuKind("big:").ok());
  EXPECT_FALSE(ParseCpuKind("b g").ok());
}

TEST(TasksPerNodeTest, CompressesRuns) {
  std::vector<Allocation> a(4);
  a[0].tasks = a[1].tasks = a[2].tasks = 2;
  a[3].tasks = 1;
  EXPECT_EQ(TasksPerNode(a), "2(x3),1");
  EXPECT_EQ(TasksPerNode({a[3]}), "1");
}

// ---- Property test over random workloads ----

class RandomWorkloadTest : public SchedulerTest {
 protected:
  void Build(std::mt19937& rng) {
    std::uniform_int_distribution<int> pct(0, 99);
    const int nodes = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < nodes; ++i) {
      Node n = Rk1("n" + std::to_string(i));
      if (pct(rng) < 30) {  // a bigger node with three kinds
        n.cores = {{"little", {0, 1, 2, 3}}, {"big", {4, 5, 6, 7}}, {"mid", {8, 9, 10, 11}}};
        n.free_cores = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
      }
      n.available = pct(rng) < 90;
      AddNode(n);
    }
    snap_.kinds = {"big", "mid", "little"};
    JobId id = 1000;
    for (auto& n : snap_.nodes) {  // random running jobs
      std::vector<uint32_t> busy;
      for (uint32_t c : n.free_cores) {
        if (pct(rng) < 40) busy.push_back(c);
      }
      if (busy.empty()) continue;
      const int64_t minutes = pct(rng) < 10 ? -1 : 1 + pct(rng);
      Running(id++, n.name, busy, 100 * busy.size(), minutes);
    }
    const int jobs = 1 + static_cast<int>(rng() % 40);
    const char* kinds[] = {"", "", "", "big", "little", "big:1,little:1", "mid"};
    for (int i = 0; i < jobs; ++i) {
      PendingJob& j = Submit(static_cast<JobId>(i + 1), 1 + rng() % 4, kinds[rng() % 7],
                             static_cast<uint32_t>(1 + rng() % 300));
      j.user = pct(rng) < 50 ? "alice" : "bob";
      if (pct(rng) < 25) {
        j.min_nodes = 1 + rng() % 3;
        j.ntasks = j.min_nodes + rng() % 4;
      }
      if (pct(rng) < 20) j.mem_per_node_mb = 1000 + rng() % 9000;
      if (pct(rng) < 5) j.exclusive = true;
      if (pct(rng) < 10) j.nice = static_cast<int32_t>(rng() % 2000);
    }
  }
};

// No core or megabyte is ever given twice, kinds are honoured, and no start delays a
// reservation (its cores stay free at its start and its memory fits).
TEST_F(RandomWorkloadTest, NeverGivesACoreOrMegabyteTwiceAndKeepsReservations) {
  std::mt19937 rng(20240505);
  size_t starts = 0, reservations = 0, backfilled = 0;
  for (int round = 0; round < 300; ++round) {
    snap_ = Snapshot{};
    snap_.now = kNow;
    Partition p;
    p.name = "batch";
    snap_.partitions.push_back(p);
    options_.reservations = 1 + round % 3;
    Build(rng);
    const Plan plan = Run();
    const Plan again = Run();
    starts += plan.starts.size();
    reservations += plan.reservations.size();
    for (const auto& st : plan.starts) backfilled += st.backfilled ? 1 : 0;
    ASSERT_EQ(plan.starts.size(), again.starts.size()) << "round " << round;

    std::map<std::string, const Node*> nodes;
    for (const auto& n : snap_.nodes) nodes[n.name] = &n;
    std::map<std::string, std::set<uint32_t>> used;
    std::map<std::string, uint64_t> mem;
    std::map<JobId, const PendingJob*> jobs;
    for (const auto& j : snap_.pending) jobs[j.id] = &j;
    for (size_t s = 0; s < plan.starts.size(); ++s) {
      const auto& st = plan.starts[s];
      EXPECT_EQ(st.nodes.size(), again.starts[s].nodes.size());
      const PendingJob& job = *jobs.at(st.id);
      uint32_t tasks = 0;
      for (const auto& a : st.nodes) {
        const Node& n = *nodes.at(a.node);
        EXPECT_TRUE(n.available);
        tasks += a.tasks;
        for (uint32_t c : a.core_ids) {
          EXPECT_NE(std::find(n.free_cores.begin(), n.free_cores.end(), c), n.free_cores.end())
              << "round " << round << ": core " << c << " of " << a.node << " was not free";
          EXPECT_TRUE(used[a.node].insert(c).second)
              << "round " << round << ": core " << c << " of " << a.node << " given twice";
          // --exclusive holds every core of its nodes, whatever their kind; a kind request
          // then only chooses nodes that have that kind (docs/user-guide.md, CPU kinds).
          if (job.cpu_kind.mode == CpuKindRequest::Mode::kKind && !job.exclusive) {
            for (const auto& g : n.cores) {
              const bool in = std::find(g.core_ids.begin(), g.core_ids.end(), c) != g.core_ids.end();
              if (in) {
                EXPECT_EQ(g.kind, job.cpu_kind.kind);
              }
            }
          }
        }
        mem[a.node] += a.memory_mb;
        EXPECT_LE(mem[a.node], n.memory_free_mb) << "round " << round << " node " << a.node;
      }
      if (job.ntasks != 0) {
        EXPECT_EQ(tasks, job.ntasks);
      }
    }
    // Every reservation still fits at its start time given the running jobs and the starts.
    for (const auto& r : plan.reservations) {
      for (const auto& a : r.nodes) {
        const Node& n = *nodes.at(a.node);
        uint64_t mem_busy = 0;
        std::set<uint32_t> busy;
        for (const auto& run : snap_.running) {
          if (run.end_time <= r.start_time) continue;
          for (const auto& x : run.nodes) {
            if (x.node != a.node) continue;
            busy.insert(x.core_ids.begin(), x.core_ids.end());
            mem_busy += x.memory_mb;
          }
        }
        for (const auto& st : plan.starts) {
          if (st.end_time <= r.start_time) continue;
          for (const auto& x : st.nodes) {
            if (x.node != a.node) continue;
            busy.insert(x.core_ids.begin(), x.core_ids.end());
            mem_busy += x.memory_mb;
          }
        }
        for (uint32_t c : a.core_ids) {
          EXPECT_EQ(busy.count(c), 0u) << "round " << round << ": reservation of job " << r.id
                                       << " lost core " << c << " of " << a.node;
        }
        EXPECT_LE(mem_busy + a.memory_mb, n.memory_total_mb)
            << "round " << round << ": reservation of job " << r.id << " lost memory";
      }
    }
  }
  // The workload must exercise what it checks.
  EXPECT_GT(starts, 1000u);
  EXPECT_GT(reservations, 100u);
  EXPECT_GT(backfilled, 100u);
  std::printf("random workloads: %zu starts, %zu reservations, %zu backfilled\n", starts,
              reservations, backfilled);
}

}  // namespace
}  // namespace drover::sched

namespace drover::sched {
namespace {

// -n without -N packs the tasks on the fewest nodes that hold them, as Slurm does; an explicit
// -N MIN-MAX still gets as many nodes as are free.
TEST_F(SchedulerTest, TasksWithoutNodeCountPackOnTheFewestNodes) {
  AddRk1s(3);
  PendingJob& four = Submit(1);
  four.ntasks = 4;
  four.max_nodes = 4;
  four.fewest_nodes = true;
  PendingJob& ten = Submit(2);
  ten.ntasks = 10;
  ten.max_nodes = 10;
  ten.fewest_nodes = true;
  PendingJob& range = Submit(3);
  range.ntasks = 2;
  range.max_nodes = 2;
  const Plan plan = Run();
  const JobStart* a = StartOf(plan, 1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->nodes.size(), 1u) << "four tasks fit on one 8-core node";
  const JobStart* b = StartOf(plan, 2);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->nodes.size(), 2u) << "ten tasks need two 8-core nodes, not ten";
  const JobStart* c = StartOf(plan, 3);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->nodes.size(), 2u) << "-N1-2 takes both nodes when free";
}

}  // namespace
}  // namespace drover::sched
