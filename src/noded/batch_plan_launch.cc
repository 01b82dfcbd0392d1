#include "noded/batch_plan_launch.h"

#include "common/filename_pattern.h"
#include "noded/batch_env.h"
#include "noded/spool.h"

namespace drover::noded {
namespace {

std::string OutputPath(const std::string& pattern, const std::string& work_dir, const FilenameContext& ctx) {
  std::string path = ExpandFilenamePattern(pattern, ctx);
  if (!path.empty() && path[0] != '/') path = work_dir + "/" + path;
  return path;
}

}  // namespace

BatchPlan MakeBatchPlan(const v1::LaunchJobRequest& launch, const std::string& node, const std::string& spool) {
  BatchPlan plan;
  const auto& spec = launch.spec();
  plan.job_id = launch.job_id();
  plan.uid = launch.uid();
  plan.gid = launch.gid();
  plan.groups.assign(launch.groups().begin(), launch.groups().end());
  plan.user = launch.user();
  plan.work_dir = spec.work_dir();
  FilenameContext ctx;
  ctx.job_id = launch.job_id();
  ctx.step = "batch";
  ctx.node_name = node;
  ctx.user = launch.user();
  ctx.job_name = spec.name();
  const std::string out_pattern = spec.stdout_pattern().empty() ? "slurm-%j.out" : spec.stdout_pattern();
  const std::string err_pattern = spec.stderr_pattern().empty() ? out_pattern : spec.stderr_pattern();
  plan.out_path = OutputPath(out_pattern, plan.work_dir, ctx);
  plan.err_path = OutputPath(err_pattern, plan.work_dir, ctx);
  plan.tmp_out_path = OutputPath(out_pattern, "/tmp", ctx);
  plan.tmp_err_path = OutputPath(err_pattern, "/tmp", ctx);
  plan.script = ScriptPath(spool, launch.job_id());
  plan.args.push_back(plan.script);
  for (const auto& a : spec.script_args()) plan.args.push_back(a);
  plan.env = ToEnvp(BuildBatchEnvironment(launch, node));
  for (const auto& a : launch.allocation()) {
    if (a.node() != node) continue;
    plan.cpus.assign(a.core_ids().begin(), a.core_ids().end());
    plan.memory_bytes = a.memory_mb() << 20;
  }
  plan.time_limit_minutes = launch.time_limit_minutes();
  return plan;
}

}  // namespace drover::noded
