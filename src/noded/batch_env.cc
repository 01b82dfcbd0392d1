#include "noded/batch_env.h"

#include <map>

#include "common/job.h"

namespace drover::noded {

Environment BuildBatchEnvironment(const v1::LaunchJobRequest& launch, const std::string& node) {
  Environment env;
  for (const auto& v : launch.spec().environment()) env.emplace_back(v.name(), v.value());

  const auto& spec = launch.spec();
  std::vector<uint32_t> tasks;
  std::vector<uint32_t> cpus;
  uint32_t node_cpus = 0;
  uint64_t node_mem = 0;
  const uint32_t cpt = spec.cpus_per_task() ? spec.cpus_per_task() : 1;
  for (const auto& a : launch.allocation()) {
    // Without --ntasks, Slurm derives the per-node task count from the CPUs (§8.2).
    tasks.push_back(spec.ntasks() ? a.tasks() : a.cpus() / cpt);
    cpus.push_back(a.cpus());
    if (a.node() == node) {
      node_cpus = a.cpus();
      node_mem = a.memory_mb();
    }
  }
  const std::string job_id = std::to_string(launch.job_id());
  const std::string nnodes = std::to_string(launch.allocation_size());

  Environment slurm = {
      {"SLURM_JOB_ID", job_id},
      {"SLURM_JOBID", job_id},
      {"SLURM_JOB_NAME", spec.name()},
      {"SLURM_JOB_NODELIST", launch.node_list()},
      {"SLURM_NODELIST", launch.node_list()},
      {"SLURM_JOB_NUM_NODES", nnodes},
      {"SLURM_NNODES", nnodes},
      {"SLURM_TASKS_PER_NODE", CompressCounts(tasks)},
      {"SLURM_JOB_CPUS_PER_NODE", CompressCounts(cpus)},
      {"SLURM_CPUS_ON_NODE", std::to_string(node_cpus)},
      {"SLURM_JOB_PARTITION", launch.partition()},
      {"SLURM_CLUSTER_NAME", launch.cluster_name()},
      {"SLURM_SUBMIT_DIR", spec.work_dir()},
      {"SLURM_SUBMIT_HOST", spec.submit_host()},
      {"SLURMD_NODENAME", node},
      {"SLURM_NODEID", "0"},
      {"SLURM_PROCID", "0"},
      {"SLURM_LOCALID", "0"},
      {"SLURM_JOB_USER", launch.user()},
      {"SLURM_JOB_UID", std::to_string(launch.uid())},
      {"SLURM_JOB_GID", std::to_string(launch.gid())},
      {"ENVIRONMENT", "BATCH"},
  };
  if (!spec.account().empty()) slurm.emplace_back("SLURM_JOB_ACCOUNT", spec.account());
  // As Slurm: only a job that was requeued has it, with how many times.
  if (launch.run() > 0) slurm.emplace_back("SLURM_RESTART_COUNT", std::to_string(launch.run()));
  if (spec.ntasks()) {
    slurm.emplace_back("SLURM_NTASKS", std::to_string(spec.ntasks()));
    slurm.emplace_back("SLURM_NPROCS", std::to_string(spec.ntasks()));
  }
  if (spec.cpus_per_task()) slurm.emplace_back("SLURM_CPUS_PER_TASK", std::to_string(spec.cpus_per_task()));
  if (spec.mem_per_cpu_mb()) {
    slurm.emplace_back("SLURM_MEM_PER_CPU", std::to_string(spec.mem_per_cpu_mb()));
  } else {
    slurm.emplace_back("SLURM_MEM_PER_NODE", std::to_string(node_mem));
  }
  if (launch.array_job_id()) {
    // Set only for array elements, as Slurm does (SB-10).
    slurm.emplace_back("SLURM_ARRAY_JOB_ID", std::to_string(launch.array_job_id()));
    slurm.emplace_back("SLURM_ARRAY_TASK_ID", std::to_string(launch.array_task_id()));
    slurm.emplace_back("SLURM_ARRAY_TASK_COUNT", std::to_string(launch.array_task_count()));
    slurm.emplace_back("SLURM_ARRAY_TASK_MIN", std::to_string(launch.array_task_min()));
    slurm.emplace_back("SLURM_ARRAY_TASK_MAX", std::to_string(launch.array_task_max()));
    slurm.emplace_back("SLURM_ARRAY_TASK_STEP", std::to_string(launch.array_task_step()));
  }
  if (launch.time_limit_minutes()) {
    slurm.emplace_back("SLURM_JOB_TIME_LIMIT", std::to_string(launch.time_limit_minutes()));
  }
  for (const auto& [name, value] : slurm) {
    env.emplace_back(name, value);
    if (name.rfind("SLURM_", 0) == 0) env.emplace_back("DROVER_" + name.substr(6), value);
  }
  env.emplace_back("DROVER_NODENAME", node);
  return env;
}

std::vector<std::string> ToEnvp(const Environment& env) {
  std::map<std::string, size_t> index;
  std::vector<std::string> out;
  for (const auto& [name, value] : env) {
    auto it = index.find(name);
    if (it != index.end()) {
      out[it->second] = name + "=" + value;
    } else {
      index[name] = out.size();
      out.push_back(name + "=" + value);
    }
  }
  return out;
}

}  // namespace drover::noded
