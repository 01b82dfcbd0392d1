#include "noded/step_env.h"

#include "common/job.h"

namespace drover::noded {

Environment BuildStepEnvironment(const v1::LaunchStepRequest& launch, const std::string& node,
                                 uint32_t task_id) {
  const auto& spec = launch.spec();
  const auto& job = launch.job();
  Environment env;
  for (const auto& v : spec.environment()) env.emplace_back(v.name(), v.value());

  uint32_t node_index = 0, local_id = 0, ntasks = 0;
  std::vector<uint32_t> tasks_per_node;
  for (int i = 0; i < launch.layout_size(); ++i) {
    const auto& n = launch.layout(i);
    tasks_per_node.push_back(static_cast<uint32_t>(n.task_ids_size()));
    ntasks += static_cast<uint32_t>(n.task_ids_size());
    if (n.node() != node) continue;
    node_index = static_cast<uint32_t>(i);
    for (int k = 0; k < n.task_ids_size(); ++k) {
      if (n.task_ids(k) == task_id) local_id = static_cast<uint32_t>(k);
    }
  }
  uint32_t node_cpus = 0;
  std::vector<uint32_t> job_cpus;
  for (const auto& a : job.allocation()) {
    job_cpus.push_back(a.cpus());
    if (a.node() == node) node_cpus = a.cpus();
  }
  const std::string job_id = std::to_string(launch.job_id());
  const std::string step_id = std::to_string(launch.step_id());
  const std::string nnodes = std::to_string(launch.layout_size());
  const std::string tpn = CompressCounts(tasks_per_node);
  const std::string cpu_bind = spec.cpu_bind().empty() ? "quiet,none" : spec.cpu_bind();

  Environment slurm = {
      {"SLURM_JOB_ID", job_id},
      {"SLURM_JOBID", job_id},
      {"SLURM_JOB_NAME", job.spec().name()},
      {"SLURM_JOB_NODELIST", job.node_list()},
      {"SLURM_JOB_NUM_NODES", std::to_string(job.allocation_size())},
      {"SLURM_JOB_CPUS_PER_NODE", CompressCounts(job_cpus)},
      {"SLURM_JOB_PARTITION", job.partition()},
      {"SLURM_CLUSTER_NAME", job.cluster_name()},
      {"SLURM_JOB_USER", launch.user()},
      {"SLURM_JOB_UID", std::to_string(launch.uid())},
      {"SLURM_JOB_GID", std::to_string(launch.gid())},
      {"SLURM_CPUS_ON_NODE", std::to_string(node_cpus)},
      {"SLURM_STEP_ID", step_id},
      {"SLURM_STEPID", step_id},
      {"SLURM_STEP_NODELIST", launch.node_list()},
      {"SLURM_STEP_NUM_NODES", nnodes},
      {"SLURM_STEP_NUM_TASKS", std::to_string(ntasks)},
      {"SLURM_STEP_TASKS_PER_NODE", tpn},
      {"SLURM_NODELIST", launch.node_list()},
      {"SLURM_NNODES", nnodes},
      {"SLURM_NTASKS", std::to_string(ntasks)},
      {"SLURM_NPROCS", std::to_string(ntasks)},
      {"SLURM_TASKS_PER_NODE", tpn},
      {"SLURM_PROCID", std::to_string(task_id)},
      {"SLURM_LOCALID", std::to_string(local_id)},
      {"SLURM_NODEID", std::to_string(node_index)},
      {"SLURMD_NODENAME", node},
      {"SLURM_CPU_BIND", cpu_bind},
      {"SLURM_CPU_BIND_TYPE", cpu_bind},
      {"SLURM_CPU_BIND_LIST", ""},
      {"SLURM_CPU_BIND_VERBOSE", cpu_bind.find("verbose") != std::string::npos ? "verbose" : "quiet"},
      {"SLURM_SUBMIT_DIR", job.spec().work_dir()},
      {"SLURM_SUBMIT_HOST", job.spec().submit_host()},
  };
  if (spec.cpus_per_task()) slurm.emplace_back("SLURM_CPUS_PER_TASK", std::to_string(spec.cpus_per_task()));
  if (job.time_limit_minutes()) slurm.emplace_back("SLURM_JOB_TIME_LIMIT", std::to_string(job.time_limit_minutes()));
  if (!job.spec().account().empty()) slurm.emplace_back("SLURM_JOB_ACCOUNT", job.spec().account());
  if (job.array_job_id()) {
    slurm.emplace_back("SLURM_ARRAY_JOB_ID", std::to_string(job.array_job_id()));
    slurm.emplace_back("SLURM_ARRAY_TASK_ID", std::to_string(job.array_task_id()));
  }
  for (const auto& [name, value] : slurm) {
    env.emplace_back(name, value);
    if (name.rfind("SLURM_", 0) == 0) env.emplace_back("DROVER_" + name.substr(6), value);
  }
  env.emplace_back("DROVER_NODENAME", node);
  return env;
}

}  // namespace drover::noded
