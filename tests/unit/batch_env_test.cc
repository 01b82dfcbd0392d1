#include "noded/batch_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace drover::noded {
namespace {

class BatchEnvTest : public testing::Test {
 protected:
  // A 2-node job with -n 3: two tasks on node1, one on node2.
  BatchEnvTest() {
    launch_.set_job_id(42);
    launch_.set_uid(1000);
    launch_.set_gid(100);
    launch_.set_user("alice");
    launch_.set_node_list("node[1-2]");
    launch_.set_partition("batch");
    launch_.set_cluster_name("testcluster");
    launch_.set_time_limit_minutes(30);
    auto* spec = launch_.mutable_spec();
    spec->set_name("myjob");
    spec->set_work_dir("/home/alice/run");
    spec->set_submit_host("login1");
    spec->set_min_nodes(2);
    spec->set_ntasks(3);
    AddNode("node1", 2, 2, 1024);
    AddNode("node2", 1, 1, 512);
  }

  void AddNode(const std::string& name, uint32_t cpus, uint32_t tasks, uint64_t memory_mb) {
    auto* a = launch_.add_allocation();
    a->set_node(name);
    a->set_cpus(cpus);
    a->set_tasks(tasks);
    a->set_memory_mb(memory_mb);
  }

  void ExportFromSubmitter(const std::string& name, const std::string& value) {
    auto* v = launch_.mutable_spec()->add_environment();
    v->set_name(name);
    v->set_value(value);
  }

  Environment Build(const std::string& node = "node1") {
    return BuildBatchEnvironment(launch_, node);
  }

  // The variables as the script sees them (after ToEnvp's overriding).
  std::map<std::string, std::string> Vars(const std::string& node = "node1") {
    std::map<std::string, std::string> vars;
    for (const auto& entry : ToEnvp(Build(node))) {
      const auto eq = entry.find('=');
      vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    return vars;
  }

  std::optional<std::string> Var(const std::string& name, const std::string& node = "node1") {
    const auto vars = Vars(node);
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  }

  v1::LaunchJobRequest launch_;
};

// The job id appears under both of Slurm's spellings.
TEST_F(BatchEnvTest, JobIdUnderBothNames) {
  EXPECT_EQ(Var("SLURM_JOB_ID"), "42");
  EXPECT_EQ(Var("SLURM_JOBID"), "42");
}

// The job name, partition, cluster, submit dir and host are passed on.
TEST_F(BatchEnvTest, JobDescriptionVariables) {
  EXPECT_EQ(Var("SLURM_JOB_NAME"), "myjob");
  EXPECT_EQ(Var("SLURM_JOB_PARTITION"), "batch");
  EXPECT_EQ(Var("SLURM_CLUSTER_NAME"), "testcluster");
  EXPECT_EQ(Var("SLURM_SUBMIT_DIR"), "/home/alice/run");
  EXPECT_EQ(Var("SLURM_SUBMIT_HOST"), "login1");
  EXPECT_EQ(Var("ENVIRONMENT"), "BATCH");
}

// SLURM_NODELIST equals SLURM_JOB_NODELIST (MPI launchers read the former).
TEST_F(BatchEnvTest, NodeListUnderBothNames) {
  EXPECT_EQ(Var("SLURM_JOB_NODELIST"), "node[1-2]");
  EXPECT_EQ(Var("SLURM_NODELIST"), Var("SLURM_JOB_NODELIST"));
}

// The node count appears under both names.
TEST_F(BatchEnvTest, NodeCountUnderBothNames) {
  EXPECT_EQ(Var("SLURM_JOB_NUM_NODES"), "2");
  EXPECT_EQ(Var("SLURM_NNODES"), "2");
}

// With -n 3 on two nodes the tasks are block-distributed: "2,1".
TEST_F(BatchEnvTest, TasksPerNodeIsBlockDistributionOfNtasks) {
  EXPECT_EQ(Var("SLURM_TASKS_PER_NODE"), "2,1");
}

// SLURM_JOB_CPUS_PER_NODE lists the allocated CPUs per node.
TEST_F(BatchEnvTest, JobCpusPerNodeListsAllocatedCpus) {
  EXPECT_EQ(Var("SLURM_JOB_CPUS_PER_NODE"), "2,1");
}

// Equal neighbours are compressed as N(xR).
TEST_F(BatchEnvTest, EqualCountsAreCompressed) {
  launch_.clear_allocation();
  launch_.mutable_spec()->set_ntasks(6);
  AddNode("node1", 2, 2, 1024);
  AddNode("node2", 2, 2, 1024);
  AddNode("node4", 2, 2, 1024);
  EXPECT_EQ(Var("SLURM_TASKS_PER_NODE"), "2(x3)");
  EXPECT_EQ(Var("SLURM_JOB_CPUS_PER_NODE"), "2(x3)");
}

// SLURM_CPUS_ON_NODE and SLURM_MEM_PER_NODE describe the node the script runs on.
TEST_F(BatchEnvTest, PerNodeValuesAreThoseOfThisNode) {
  EXPECT_EQ(Var("SLURM_CPUS_ON_NODE", "node1"), "2");
  EXPECT_EQ(Var("SLURM_MEM_PER_NODE", "node1"), "1024");
  EXPECT_EQ(Var("SLURM_CPUS_ON_NODE", "node2"), "1");
}

// SLURM_NTASKS and SLURM_NPROCS are set when -n was given.
TEST_F(BatchEnvTest, NtasksSetWhenGiven) {
  EXPECT_EQ(Var("SLURM_NTASKS"), "3");
  EXPECT_EQ(Var("SLURM_NPROCS"), "3");
}

// Without -n there is no SLURM_NTASKS or SLURM_NPROCS.
TEST_F(BatchEnvTest, NtasksAbsentWithoutDashN) {
  launch_.mutable_spec()->clear_ntasks();
  EXPECT_EQ(Var("SLURM_NTASKS"), std::nullopt);
  EXPECT_EQ(Var("SLURM_NPROCS"), std::nullopt);
}

// SLURM_CPUS_PER_TASK is set only when -c was given.
TEST_F(BatchEnvTest, CpusPerTaskOnlyWhenGiven) {
  EXPECT_EQ(Var("SLURM_CPUS_PER_TASK"), std::nullopt);
  launch_.mutable_spec()->set_cpus_per_task(2);
  EXPECT_EQ(Var("SLURM_CPUS_PER_TASK"), "2");
}

// Without -n, tasks per node are the node's CPUs divided by cpus-per-task.
TEST_F(BatchEnvTest, TasksPerNodeWithoutNtasksDerivesFromCpus) {
  launch_.clear_allocation();
  launch_.mutable_spec()->clear_ntasks();
  launch_.mutable_spec()->set_cpus_per_task(2);
  AddNode("node1", 8, 1, 4096);
  AddNode("node2", 4, 1, 2048);
  EXPECT_EQ(Var("SLURM_TASKS_PER_NODE"), "4,2");
  EXPECT_EQ(Var("SLURM_JOB_CPUS_PER_NODE"), "8,4");
}

// The script's node is named, and it is node 0, rank 0, local id 0.
TEST_F(BatchEnvTest, ScriptNodeIdentity) {
  EXPECT_EQ(Var("SLURMD_NODENAME", "node1"), "node1");
  EXPECT_EQ(Var("SLURM_NODEID"), "0");
  EXPECT_EQ(Var("SLURM_PROCID"), "0");
  EXPECT_EQ(Var("SLURM_LOCALID"), "0");
}

// The batch script is not a step: no SLURM_STEP_ID (MPI would think it was direct-launched).
TEST_F(BatchEnvTest, NoStepId) {
  EXPECT_EQ(Var("SLURM_STEP_ID"), std::nullopt);
  EXPECT_EQ(Var("SLURM_STEPID"), std::nullopt);
}

// The job owner is described by name and ids.
TEST_F(BatchEnvTest, JobUserVariables) {
  EXPECT_EQ(Var("SLURM_JOB_USER"), "alice");
  EXPECT_EQ(Var("SLURM_JOB_UID"), "1000");
  EXPECT_EQ(Var("SLURM_JOB_GID"), "100");
}

// With --mem-per-cpu the script sees SLURM_MEM_PER_CPU instead of SLURM_MEM_PER_NODE.
TEST_F(BatchEnvTest, MemPerCpuReplacesMemPerNode) {
  launch_.mutable_spec()->set_mem_per_cpu_mb(256);
  EXPECT_EQ(Var("SLURM_MEM_PER_CPU"), "256");
  EXPECT_EQ(Var("SLURM_MEM_PER_NODE"), std::nullopt);
}

// The account is set only when one was given.
TEST_F(BatchEnvTest, AccountOnlyWhenGiven) {
  EXPECT_EQ(Var("SLURM_JOB_ACCOUNT"), std::nullopt);
  launch_.mutable_spec()->set_account("physics");
  EXPECT_EQ(Var("SLURM_JOB_ACCOUNT"), "physics");
}

// Every SLURM_ variable has a DROVER_ twin with the same value.
TEST_F(BatchEnvTest, EverySlurmVariableHasDroverTwin) {
  const auto vars = Vars();
  int slurm_vars = 0;
  for (const auto& [name, value] : vars) {
    if (name.rfind("SLURM_", 0) != 0) continue;
    ++slurm_vars;
    const std::string twin = "DROVER_" + name.substr(6);
    auto it = vars.find(twin);
    ASSERT_NE(it, vars.end()) << twin;
    EXPECT_EQ(it->second, value) << twin;
  }
  EXPECT_GT(slurm_vars, 20);
  EXPECT_EQ(vars.at("DROVER_NODENAME"), "node1");
}

// The submitter's exported variables reach the script.
TEST_F(BatchEnvTest, SubmitterEnvironmentIsPassedOn) {
  ExportFromSubmitter("PATH", "/usr/bin:/bin");
  ExportFromSubmitter("OMP_NUM_THREADS", "4");
  EXPECT_EQ(Var("PATH"), "/usr/bin:/bin");
  EXPECT_EQ(Var("OMP_NUM_THREADS"), "4");
}

// A submitter's SLURM_JOB_ID (sbatch from inside a job) cannot spoof the real one.
TEST_F(BatchEnvTest, SubmitterCannotSpoofJobId) {
  ExportFromSubmitter("SLURM_JOB_ID", "999");
  const auto envp = ToEnvp(Build());
  EXPECT_EQ(std::count(envp.begin(), envp.end(), "SLURM_JOB_ID=42"), 1);
  EXPECT_EQ(std::count(envp.begin(), envp.end(), "SLURM_JOB_ID=999"), 0);
}

// ToEnvp: a later entry overrides an earlier one of the same name, keeping its position.
TEST(ToEnvpTest, LaterDuplicatesOverrideEarlier) {
  const Environment env = {{"A", "1"}, {"B", "2"}, {"A", "3"}};
  EXPECT_EQ(ToEnvp(env), (std::vector<std::string>{"A=3", "B=2"}));
}

// ToEnvp keeps empty values and values containing '='.
TEST(ToEnvpTest, KeepsEmptyValuesAndEqualsSigns) {
  const Environment env = {{"EMPTY", ""}, {"OPTS", "a=b=c"}};
  EXPECT_EQ(ToEnvp(env), (std::vector<std::string>{"EMPTY=", "OPTS=a=b=c"}));
}


// Array elements see SLURM_ARRAY_* (SB-10), with DROVER_* twins; other jobs do not.
TEST_F(BatchEnvTest, ArrayVariablesOnlyForElements) {
  EXPECT_FALSE(Var("SLURM_ARRAY_JOB_ID").has_value());
  EXPECT_FALSE(Var("SLURM_ARRAY_TASK_ID").has_value());
  launch_.set_array_job_id(40);
  launch_.set_array_task_id(8);
  launch_.set_array_task_count(4);
  launch_.set_array_task_min(0);
  launch_.set_array_task_max(12);
  launch_.set_array_task_step(4);
  EXPECT_EQ(Var("SLURM_ARRAY_JOB_ID"), "40");
  EXPECT_EQ(Var("SLURM_ARRAY_TASK_ID"), "8");
  EXPECT_EQ(Var("SLURM_ARRAY_TASK_COUNT"), "4");
  EXPECT_EQ(Var("SLURM_ARRAY_TASK_MIN"), "0");
  EXPECT_EQ(Var("SLURM_ARRAY_TASK_MAX"), "12");
  EXPECT_EQ(Var("SLURM_ARRAY_TASK_STEP"), "4");
  EXPECT_EQ(Var("DROVER_ARRAY_TASK_ID"), "8");
  EXPECT_EQ(Var("SLURM_JOB_ID"), "42") << "the element's own id";
}
}  // namespace
}  // namespace drover::noded
