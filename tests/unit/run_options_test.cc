#include "cli/run_options.h"

#include <gtest/gtest.h>

#include <map>

namespace drover::cli {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<RunOptions> Parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return ParseRunOptions("srun", args, Env(std::move(env)));
}

TEST(RunOptionsTest, CommandAndItsOptionsStayAsGiven) {
  auto o = Parse({"-n", "2", "-l", "sh", "-c", "exit $SLURM_PROCID", "-n", "5"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->ntasks, 2u);
  EXPECT_TRUE(o->label);
  EXPECT_EQ(o->command, (std::vector<std::string>{"sh", "-c", "exit $SLURM_PROCID", "-n", "5"}));
  EXPECT_FALSE(o->job_id.has_value());
}

TEST(RunOptionsTest, OpenMpiAndHydraCommandLines) {
  auto o = Parse({"--ntasks-per-node=1", "--kill-on-bad-exit", "--mpi=none", "--nodes=2", "--nodelist=node[1-2]",
                  "--ntasks=2", "--cpu-bind=none", "orted", "-mca", "x", "\"a;b\""});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_TRUE(o->kill_on_bad_exit);
  EXPECT_EQ(o->ntasks_per_node, 1u);
  EXPECT_EQ(o->nodes, "2");
  EXPECT_EQ(o->cpu_bind, "none");
  EXPECT_EQ(o->command.back(), "\"a;b\"");
  o = Parse({"-N", "2", "-n", "2", "--input", "none", "hydra_pmi_proxy", "--proxy-id", "-1"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->input, "none");
  EXPECT_EQ(o->command.size(), 3u);
}

TEST(RunOptionsTest, SilentlyAcceptedOptions) {
  auto o = Parse({"-v", "-v", "--cpu-bind=q", "--mpi=pmi2", "--overlap", "-u", "-o", "out-%4t.log",
                  "-e", "err-%t", "-J", "w", "-D", "/tmp", "hostname"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_TRUE(o->unbuffered);
  EXPECT_EQ(o->output, "out-%4t.log");
  EXPECT_EQ(o->verbose, 2);
}

// srun --signal=[R:]SIG[@TIME]: into the step's spec (default 60 s before the limit); B: has
// no meaning for a step and is refused; salloc still accepts it without effect.
TEST(RunOptionsTest, WarnSignalGoesIntoTheStep) {
  auto o = Parse({"--signal=USR1@30", "sleep", "100"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->warn_signal, 10);
  EXPECT_EQ(o->warn_time_s, 30u);
  auto spec = BuildStepSpec(*o, "/tmp", {});
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->signal_number(), 10);
  EXPECT_EQ(spec->signal_time_s(), 30u);

  o = Parse({"--signal", "R:SIGTERM", "true"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->warn_signal, 15);
  EXPECT_EQ(o->warn_time_s, 60u);

  o = Parse({"true"});
  ASSERT_TRUE(o.ok());
  spec = BuildStepSpec(*o, "/tmp", {});
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->signal_number(), 0);
  EXPECT_EQ(spec->signal_time_s(), 0u);

  auto batch = Parse({"--signal=B:USR1", "true"});
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("sbatch"), std::string::npos) << batch.status().message();
  auto bad = Parse({"--signal=NOPE@10", "true"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--signal"), std::string::npos) << bad.status().message();

  auto salloc = ParseRunOptions("salloc", {"--signal=USR1@30"}, Env({}), true);
  ASSERT_TRUE(salloc.ok()) << salloc.status().message();
  EXPECT_EQ(salloc->warn_signal, 0);
}

TEST(RunOptionsTest, DefaultsFromTheEnvironment) {
  auto o = Parse({"hostname"}, {{"SLURM_JOB_ID", "42"}, {"SLURM_NTASKS", "4"}, {"SLURM_NNODES", "2"},
                                {"SLURM_CPU_BIND", "none"}, {"SLURM_CPUS_PER_TASK", "3"}});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->job_id, 42u);
  EXPECT_EQ(o->ntasks, 4u);
  EXPECT_EQ(o->nodes, "2");
  EXPECT_TRUE(o->nodes_from_env);
  EXPECT_EQ(o->cpu_bind, "none");
  EXPECT_EQ(o->cpus_per_task, 3u);
  o = Parse({"-n1", "-N1", "-c1", "hostname"}, {{"SLURM_NTASKS", "4"}, {"SRUN_CPUS_PER_TASK", "2"}});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->ntasks, 1u);
  EXPECT_EQ(o->cpus_per_task, 1u);
  EXPECT_FALSE(o->nodes_from_env);
  o = Parse({"hostname"}, {{"SRUN_CPUS_PER_TASK", "2"}, {"SLURM_CPUS_PER_TASK", "5"}});
  EXPECT_EQ(o->cpus_per_task, 2u);
}

TEST(RunOptionsTest, Errors) {
  EXPECT_FALSE(Parse({}).ok());
  EXPECT_FALSE(Parse({"-n", "x", "true"}).ok());
  EXPECT_FALSE(Parse({"-N", "3-1", "true"}).ok());
  EXPECT_FALSE(Parse({"--no-such-option", "true"}).ok());
  EXPECT_FALSE(Parse({"--input=maybe", "true"}).ok());
  EXPECT_TRUE(ParseRunOptions("salloc", {"-N2"}, Env({}), true).ok());
}

TEST(RunOptionsTest, StepAndAllocationSpecs) {
  auto o = Parse({"-N", "3", "-w", "node[1-2,4]", "-o", "all", "-i", "0", "printenv"});
  ASSERT_TRUE(o.ok());
  auto step = BuildStepSpec(*o, "/home/u", {{"A", "1"}});
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->nodes(), 3u);
  EXPECT_EQ(step->nodelist_size(), 3);
  EXPECT_EQ(step->stdout_pattern(), "");
  EXPECT_EQ(step->stdin_mode(), "0");
  EXPECT_EQ(step->work_dir(), "/home/u");
  EXPECT_EQ(step->environment(0).name(), "A");
  auto job = BuildAllocationSpec(*o, "/home/u", "host", true);
  ASSERT_TRUE(job.ok());
  EXPECT_TRUE(job->interactive());
  EXPECT_TRUE(job->end_with_steps());
  EXPECT_EQ(job->min_nodes(), 3u);
  EXPECT_EQ(job->name(), "printenv");
  o = Parse({"-n4", "-D", "sub", "/bin/true"});
  job = BuildAllocationSpec(*o, "/home/u", "host", false);
  EXPECT_EQ(job->max_nodes(), 4u);
  EXPECT_EQ(job->work_dir(), "/home/u/sub");
  EXPECT_EQ(job->name(), "true");
}

}  // namespace
}  // namespace drover::cli
