#include "noded/step_env.h"

#include <gtest/gtest.h>

#include <map>

namespace drover::noded {
namespace {

std::map<std::string, std::string> AsMap(const Environment& env) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : env) out[k] = v;  // later entries win, as ToEnvp does
  return out;
}

// Step 3 of job 42: tasks 0-1 on node1, task 2 on node2; the job has node[1-2,4].
v1::LaunchStepRequest Launch() {
  v1::LaunchStepRequest l;
  l.set_job_id(42);
  l.set_step_id(3);
  l.set_uid(1000);
  l.set_gid(100);
  l.set_user("alice");
  l.set_node_list("node[1-2]");
  auto* spec = l.mutable_spec();
  spec->add_argv("hostname");
  spec->set_cpus_per_task(2);
  auto* e = spec->add_environment();
  e->set_name("SLURM_NTASKS");
  e->set_value("99");
  e = spec->add_environment();
  e->set_name("HOME");
  e->set_value("/home/alice");
  auto* n1 = l.add_layout();
  n1->set_node("node1");
  n1->add_task_ids(0);
  n1->add_task_ids(1);
  auto* n2 = l.add_layout();
  n2->set_node("node2");
  n2->add_task_ids(2);
  auto* job = l.mutable_job();
  job->set_node_list("node[1-2,4]");
  job->mutable_spec()->set_name("myjob");
  job->set_partition("batch");
  for (const char* n : {"node1", "node2", "node4"}) {
    auto* a = job->add_allocation();
    a->set_node(n);
    a->set_cpus(4);
  }
  return l;
}

TEST(StepEnvTest, PerTaskVariables) {
  auto env = AsMap(BuildStepEnvironment(Launch(), "node2", 2));
  EXPECT_EQ(env["SLURM_PROCID"], "2");
  EXPECT_EQ(env["SLURM_LOCALID"], "0");
  EXPECT_EQ(env["SLURM_NODEID"], "1");
  EXPECT_EQ(env["SLURMD_NODENAME"], "node2");
  EXPECT_EQ(env["SLURM_STEP_ID"], "3");
  EXPECT_EQ(env["SLURM_STEPID"], "3");
  EXPECT_EQ(env["SLURM_STEP_NODELIST"], "node[1-2]");
  EXPECT_EQ(env["SLURM_NODELIST"], "node[1-2]");
  EXPECT_EQ(env["SLURM_JOB_NODELIST"], "node[1-2,4]");
  EXPECT_EQ(env["SLURM_STEP_NUM_NODES"], "2");
  EXPECT_EQ(env["SLURM_NNODES"], "2");
  EXPECT_EQ(env["SLURM_JOB_NUM_NODES"], "3");
  EXPECT_EQ(env["SLURM_STEP_NUM_TASKS"], "3");
  EXPECT_EQ(env["SLURM_NTASKS"], "3");  // the step's value overrides srun's environment
  EXPECT_EQ(env["SLURM_TASKS_PER_NODE"], "2,1");
  EXPECT_EQ(env["SLURM_STEP_TASKS_PER_NODE"], "2,1");
  EXPECT_EQ(env["SLURM_CPUS_PER_TASK"], "2");
  EXPECT_EQ(env["SLURM_JOB_ID"], "42");
  EXPECT_EQ(env["SLURM_JOBID"], "42");
  EXPECT_EQ(env["SLURM_CPU_BIND"], "quiet,none");
  EXPECT_EQ(env["DROVER_PROCID"], "2");
  EXPECT_EQ(env["DROVER_NODENAME"], "node2");
  EXPECT_EQ(env["HOME"], "/home/alice");
}

TEST(StepEnvTest, LocalIdCountsWithinTheNode) {
  auto env = AsMap(BuildStepEnvironment(Launch(), "node1", 1));
  EXPECT_EQ(env["SLURM_PROCID"], "1");
  EXPECT_EQ(env["SLURM_LOCALID"], "1");
  EXPECT_EQ(env["SLURM_NODEID"], "0");
  EXPECT_EQ(env["SLURM_CPUS_ON_NODE"], "4");
}

TEST(StepEnvTest, CpuBindFromSrun) {
  auto l = Launch();
  l.mutable_spec()->set_cpu_bind("none");
  EXPECT_EQ(AsMap(BuildStepEnvironment(l, "node1", 0))["SLURM_CPU_BIND"], "none");
}

}  // namespace
}  // namespace drover::noded
