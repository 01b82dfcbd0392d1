#include "cli/run_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <sstream>

#include "cli/empty_values.h"
#include "cli/node_count.h"
#include "cli/signal_spec.h"
#include "cli/spec_text.h"
#include "cli/usage.h"
#include "common/hostlist.h"
#include "common/units.h"

namespace drover::cli {
namespace {

// Options Slurm users and tools pass that change nothing here: accepted silently (SR-2).
const char* kSilentWithValue[] = {"--mpi", "--distribution", "--gres", "--gpus", "--gpus-per-node",
                                  "--gpus-per-task", "--cpus-per-gpu", "--mem-per-gpu", "--qos",
                                  "--open-mode", "--wckey", "--mail-type", "--mail-user",
                                  "--export", "--propagate", "--threads", "--reservation",
                                  "--licenses", "--het-group", "--mem-bind", "--hint", "--slurmd-debug",
                                  "--task-prolog", "--task-epilog", "--prolog", "--epilog", "--network",
                                  "--resv-ports", "--jobid-ignored", "--cluster-constraint", "--gpu-bind",
                                  "--ntasks-per-core", "--ntasks-per-socket", "--sockets-per-node",
                                  "--cores-per-socket", "--threads-per-core", "--begin", "--deadline",
                                  "--dependency", "--nice", "--priority", "--wait"};
const char* kSilentFlags[] = {"--overlap", "--exact", "--whole", "--multi-prog-ignored", "--no-kill",
                              "--overcommit", "--oversubscribe", "--contiguous", "--requeue",
                              "--no-requeue", "--disable-status", "--preserve-env", "--test-only",
                              "--immediate-ignored", "--mpi-ignored", "--join", "--no-allocate",
                              "--send-libs", "--spread-job", "--use-min-nodes", "--x11-ignored"};



}  // namespace

Result<RunOptions> ParseRunOptions(const std::string& prog, const std::vector<std::string>& args,
                                   const EnvLookup& env, bool salloc) {
  RunOptions o;
  CLI::App app{prog + (salloc ? ": get an allocation and run a command (default: a shell) in it.\n\nusage: " + prog +
                                    " [options] [command [args...]]"
                              : ": run a parallel command on the cluster.\n\nusage: " + prog +
                                    " [options] command [args...]"),
               prog};
  std::string ntasks, cpus, tpn, jobid, kill_text, signal_text, ignored;
  int verbose = 0;
  app.add_option("-n,--ntasks", ntasks, "number of tasks (default: one per node; $SLURM_NTASKS)");
  app.add_option("-N,--nodes", o.nodes, "number of nodes: N or MIN-MAX ($SLURM_NNODES)");
  app.add_option("-c,--cpus-per-task", cpus, "CPUs per task ($SRUN_CPUS_PER_TASK, $SLURM_CPUS_PER_TASK)");
  app.add_option("--ntasks-per-node", tpn, "tasks on each node");
  app.add_option("-w,--nodelist", o.nodelist, "nodes to run on (hostlist)");
  app.add_option("-x,--exclude", o.exclude, "nodes not to run on (hostlist; new allocations only)");
  app.add_flag("--exclusive", o.exclusive, "whole nodes (new allocations)");
  app.add_option("-C,--constraint", o.constraint, "node features required (new allocations)");
  app.add_option("--cpu-kind", o.cpu_kind, "which cores: any, a kind such as big, or big:2,little:4");
  app.add_option("-p,--partition", o.partition, "partition (new allocations)");
  app.add_option("-t,--time", o.time, "time limit (new allocations)");
  app.add_option("-A,--account", o.account, "account to charge");
  app.add_option("--mem", o.mem, "memory per node (new allocations)");
  app.add_option("--mem-per-cpu", o.mem_per_cpu, "memory per CPU (new allocations)");
  app.add_option("--comment", o.comment, "free-form comment");
  app.add_option("-J,--job-name", o.job_name, "name of the job or step (default: the command's name)");
  app.add_option("-D,--chdir", o.chdir, "working directory of the tasks (default: current)");
  app.add_option("--jobid", jobid, "run as a step of this job (default: $SLURM_JOB_ID)");
  app.add_option("--cpu-bind", o.cpu_bind, "accepted; exported as SLURM_CPU_BIND, no binding is done");
  app.add_option("--config", o.config, "drover configuration file");
  app.add_flag("-v,--verbose", verbose, "accepted for Slurm compatibility");
  app.add_flag("-Q,--quiet", o.quiet, "no informational messages on stderr");
  if (!salloc) {
    app.add_option("-i,--input", o.input, "stdin: all (default: to every task), none, or a task id");
    app.add_option("-o,--output", o.output, "stdout: all, none, a task id, or a file pattern (%t %4t %j %N %A %a %s %u %x)");
    app.add_option("-e,--error", o.error, "stderr: like --output (default: with stdout)");
    app.add_flag("-l,--label", o.label, "prefix each line with its task id");
    app.add_flag("-u,--unbuffered", o.unbuffered, "pass output on as it comes, not line by line");
    app.add_option("-K,--kill-on-bad-exit", kill_text, "end the step when a task exits non-zero (optional 0|1)")
        ->expected(0, 1);
    app.add_flag("--pty", o.pty, "give task 0 a pseudo-terminal (interactive shells)");
    app.add_option("--signal", signal_text,
                   "[R:]SIG[@SECONDS]: send SIG to the step's tasks SECONDS (default 60) before the time limit");
  } else {
    app.add_option("--signal", ignored, "accepted for Slurm compatibility; no effect")
        ->group("Accepted for compatibility");
  }
  for (const char* name : kSilentWithValue) {
    std::string flag = name;
    if (flag == "--distribution") flag = "-m,--distribution";
    if (flag == "--licenses") flag = "-L,--licenses";
    if (flag == "--qos") flag = "-q,--qos";
    if (flag == "--dependency") flag = "-d,--dependency";
    if (flag == "--begin") flag = "-b,--begin";
    if (flag == "--wait") flag = "-W,--wait";
    app.add_option(flag, ignored, "accepted for Slurm compatibility; no effect")
        ->group("Accepted for compatibility");
  }
  for (const char* name : kSilentFlags) {
    std::string flag = name;
    if (flag == "--overcommit") flag = "-O,--overcommit";
    if (flag == "--oversubscribe") flag = "-s,--oversubscribe";
    if (flag == "--no-kill") flag = "-k,--no-kill";
    if (flag == "--immediate-ignored") flag = "-I,--immediate";
    if (flag == "--x11-ignored") flag = "--x11";
    app.add_flag(flag)->description("accepted for Slurm compatibility; no effect")->group("Accepted for compatibility");
  }
  app.prefix_command();
  try {
    std::vector<std::string> rev(args.rbegin(), args.rend());
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::CallForHelp&) {
    o.help = true;
    o.help_text = HelpText(app, prog);
    return o;
  } catch (const CLI::ParseError& e) {
    return Status::InvalidArgument(std::string(e.what()) + "\nTry '" + prog + " --help' for more information.");
  }
  o.help_text.clear();
  o.command = app.remaining();
  if (!o.command.empty() && o.command.front() == "--") o.command.erase(o.command.begin());
  if (!o.command.empty() && !o.command.front().empty() && o.command.front()[0] == '-') {
    return Status::InvalidArgument("unrecognized option '" + o.command.front() + "'\nTry '" + prog +
                                   " --help' for more information.");
  }
  if (o.command.empty() && !salloc) return Status::InvalidArgument("no command to run");
  o.verbose = verbose;
  if (!salloc && app.count("--kill-on-bad-exit")) o.kill_on_bad_exit = kill_text.empty() || kill_text != "0";
  if (!salloc && app.count("--signal")) {
    auto warn = ParseWarnSignal(signal_text);
    if (!warn.ok()) return warn.status();
    // B: names the batch shell, which a step does not have (sbatch --signal=B: does).
    if (warn->batch_only) {
      return Status::InvalidArgument("invalid --signal '" + signal_text + "': B: is for batch jobs (sbatch --signal)");
    }
    o.warn_signal = warn->signal;
    o.warn_time_s = warn->time_s;
  }

  auto number = [&](const std::string& text, const char* what, uint32_t* out) -> Status {
    if (text.empty()) return Status::Ok();
    *out = ParseCount(text);
    if (*out == 0) return Status::InvalidArgument(std::string("invalid ") + what + " '" + text + "'");
    return Status::Ok();
  };
  DROVER_RETURN_IF_ERROR(number(ntasks, "--ntasks", &o.ntasks));
  DROVER_RETURN_IF_ERROR(number(cpus, "--cpus-per-task", &o.cpus_per_task));
  DROVER_RETURN_IF_ERROR(number(tpn, "--ntasks-per-node", &o.ntasks_per_node));
  if (!o.nodes.empty()) {
    uint32_t lo = 0, hi = 0;
    DROVER_RETURN_IF_ERROR(ParseNodeRange(o.nodes, &lo, &hi));
  }

  // Defaults from the environment (SR-3); the command line wins.
  auto from_env = [&](const char* name) -> std::string { return env(name).value_or(""); };
  if (ntasks.empty() && ParseCount(from_env("SLURM_NTASKS"))) o.ntasks = ParseCount(from_env("SLURM_NTASKS"));
  if (o.nodes.empty()) {
    const std::string n = from_env("SLURM_NNODES");
    uint32_t lo = 0, hi = 0;
    if (!n.empty() && ParseNodeRange(n, &lo, &hi).ok()) {
      o.nodes = n;
      o.nodes_from_env = true;
    }
  }
  if (cpus.empty()) {
    for (const char* name : {"SRUN_CPUS_PER_TASK", "SLURM_CPUS_PER_TASK"}) {
      if (ParseCount(from_env(name))) {
        o.cpus_per_task = ParseCount(from_env(name));
        break;
      }
    }
  }
  if (o.cpu_bind.empty()) o.cpu_bind = from_env("SLURM_CPU_BIND");
  if (!jobid.empty()) {
    if (!ParseCount(jobid) && jobid != "0") return Status::InvalidArgument("invalid --jobid '" + jobid + "'");
    o.job_id = std::stoull(jobid);
  } else {
    for (const char* name : {"SLURM_JOB_ID", "SLURM_JOBID", "DROVER_JOB_ID"}) {
      const std::string v = from_env(name);
      if (!v.empty() && std::all_of(v.begin(), v.end(), ::isdigit) && v.size() < 19) {
        o.job_id = std::stoull(v);
        break;
      }
    }
  }
  for (const auto* io : {&o.input, &o.output, &o.error}) {
    if (io->find('\n') != std::string::npos) return Status::InvalidArgument("a file name contains a newline");
  }
  if (!o.input.empty() && o.input != "all" && o.input != "none" && !ParseCount(o.input) && o.input != "0") {
    return Status::InvalidArgument("--input takes all, none or a task id here, not '" + o.input + "'");
  }
  return o;
}

Result<v1::StepSpec> BuildStepSpec(const RunOptions& o, const std::string& cwd,
                                   const std::vector<std::pair<std::string, std::string>>& environment) {
  v1::StepSpec spec;
  for (const auto& a : o.command) spec.add_argv(a);
  spec.set_name(o.job_name);
  if (!o.nodes.empty()) {
    uint32_t lo = 0, hi = 0;
    DROVER_RETURN_IF_ERROR(ParseNodeRange(o.nodes, &lo, &hi));
    spec.set_nodes(lo);
    spec.set_nodes_from_env(o.nodes_from_env);
  }
  spec.set_ntasks(o.ntasks);
  spec.set_cpus_per_task(o.cpus_per_task);
  spec.set_ntasks_per_node(o.ntasks_per_node);
  if (!o.nodelist.empty()) {
    auto names = ExpandHostlist(o.nodelist);
    if (!names.ok()) return names.status().WithContext("--nodelist");
    for (auto& n : *names) spec.add_nodelist(n);
  }
  spec.set_exclusive(o.exclusive);
  for (const auto& [k, v] : environment) {
    auto* e = spec.add_environment();
    e->set_name(k);
    e->set_value(v);
  }
  spec.set_work_dir(o.chdir.empty() ? cwd : (o.chdir[0] == '/' ? o.chdir : cwd + "/" + o.chdir));
  spec.set_stdout_pattern(o.output == "all" ? "" : o.output);
  spec.set_stderr_pattern(o.error == "all" ? "" : o.error);
  spec.set_stdin_mode(o.input == "all" ? "" : o.input);
  spec.set_pty(o.pty);
  spec.set_cpu_bind(o.cpu_bind);
  spec.set_signal_number(o.warn_signal);
  spec.set_signal_time_s(o.warn_signal ? o.warn_time_s : 0);
  return spec;
}

Result<v1::JobSpec> BuildAllocationSpec(const RunOptions& o, const std::string& cwd,
                                        const std::string& submit_host, bool end_with_steps) {
  v1::JobSpec spec;
  spec.set_interactive(true);
  spec.set_end_with_steps(end_with_steps);
  std::string name = o.job_name;
  if (name.empty() && !o.command.empty()) name = o.command[0].substr(o.command[0].rfind('/') + 1);
  if (name.empty()) name = "interactive";
  spec.set_name(name);
  spec.set_work_dir(o.chdir.empty() ? cwd : (o.chdir[0] == '/' ? o.chdir : cwd + "/" + o.chdir));
  spec.set_ntasks(o.ntasks);
  spec.set_cpus_per_task(o.cpus_per_task);
  spec.set_ntasks_per_node(o.ntasks_per_node);
  spec.set_exclusive(o.exclusive);
  spec.set_cpu_kind(o.cpu_kind);
  spec.set_partition(o.partition);
  spec.set_account(o.account);
  spec.set_comment(o.comment);
  spec.set_submit_host(submit_host);
  DROVER_RETURN_IF_ERROR(ApplySpecText(
      {o.mem, o.mem_per_cpu, o.time, o.nodelist, o.exclude, o.constraint}, &spec));
  DROVER_RETURN_IF_ERROR(SetNodeRange(o.nodes, &spec));
  return spec;
}

}  // namespace drover::cli
