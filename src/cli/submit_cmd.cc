// sbatch / drover submit: read the script and its #SBATCH directives, build a JobSpec, submit.
#include <limits.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <tuple>

#include "cli/empty_values.h"
#include "cli/acct_fields.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/directives.h"
#include "cli/exit_codes.h"
#include "cli/job_wait.h"
#include "cli/node_count.h"
#include "cli/signal_spec.h"
#include "cli/spec_text.h"
#include "cli/usage.h"
#include "common/hostlist.h"
#include "common/units.h"

extern char** environ;

namespace drover::cli {
namespace {

struct SubmitOptions {
  std::string job_name, output, error, chdir, partition, time, mem, mem_per_cpu, nodes, account,
      comment, export_env, wrap, array, dependency, begin, nodelist, exclude, constraint, cpu_kind,
      signal;
  uint32_t ntasks = 0, cpus_per_task = 0, ntasks_per_node = 0;
  int32_t nice = 0;
  bool exclusive = false;
  bool parsable = false, hold = false, wait = false, requeue = false, no_requeue = false;
  std::optional<std::string> config;
  // Options Slurm users pass that have no effect here yet: accepted, with a warning.
  std::string ignored;
};

// Options with no local meaning (CONTRACT.md SB-4): accepted, warned about on stderr.
const char* kIgnoredWithValue[] = {
    "--gpus-per-node", "--gpus-per-task", "--cpus-per-gpu", "--mem-per-gpu", "--gres",
    "--qos", "--open-mode", "--wckey", "--mail-type", "--mail-user",
    "--licenses", "--reservation", "--gpus", "--distribution", "--cluster-constraint"};
const char* kIgnoredFlags[] = {"--overcommit",
                               "--oversubscribe", "--contiguous", "--quiet", "--verbose"};

// -n 0 or -c 0 would mean "not given" further on: refused as Slurm does.
CLI::Validator AtLeastOne() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (digits && text.find_first_not_of('0') != std::string::npos) return "";
        return "invalid value \"" + text + "\": a whole number of at least 1";
      },
      "N>=1");
}

void AddOptions(CLI::App& app, SubmitOptions& o) {
  app.add_option("-J,--job-name", o.job_name, "name of the job");
  app.add_option("-o,--output", o.output, "file for the script's stdout (default slurm-%j.out, slurm-%A_%a.out for arrays)");
  app.add_option("-e,--error", o.error, "file for the script's stderr (default: with stdout)");
  app.add_option("-D,--chdir", o.chdir, "working directory of the job (default: current)");
  app.add_option("-p,--partition", o.partition, "partition to run in");
  app.add_option("-t,--time", o.time, "time limit: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, UNLIMITED");
  app.add_option("--mem", o.mem, "memory per node, e.g. 500M, 4G (no suffix: MB)");
  app.add_option("--mem-per-cpu", o.mem_per_cpu, "memory per allocated CPU");
  app.add_option("-N,--nodes", o.nodes, "number of nodes: N or MIN-MAX");
  app.add_option("-n,--ntasks", o.ntasks, "number of tasks")->check(AtLeastOne());
  app.add_option("-c,--cpus-per-task", o.cpus_per_task, "CPUs per task")->check(AtLeastOne());
  app.add_option("-A,--account", o.account, "account to charge");
  app.add_option("--comment", o.comment, "free-form comment");
  app.add_option("--export", o.export_env, "environment to pass: ALL (default), NONE, or VAR[=value],...");
  app.add_option("--wrap", o.wrap, "run this command line instead of a script");
  app.add_option("-a,--array", o.array, "job array: 0-99, 1,3,5, 0-15:4, with %M to run at most M at once");
  app.add_option("-d,--dependency", o.dependency,
                 "start after other jobs: afterok:ID[:ID], afterany, afternotok, after, singleton; "
                 "',' = all, '?' = any");
  app.add_option("-b,--begin", o.begin,
                 "start no earlier than: HH:MM[:SS], YYYY-MM-DD[THH:MM[:SS]], now+N[minutes|hours|days], "
                 "midnight, tomorrow");
  app.add_option("--ntasks-per-node", o.ntasks_per_node, "tasks on each node")->check(AtLeastOne());
  app.add_flag("--exclusive", o.exclusive, "whole nodes, shared with no other job");
  app.add_option("-w,--nodelist", o.nodelist, "nodes the job must run on (hostlist)");
  app.add_option("-x,--exclude", o.exclude, "nodes the job must not run on (hostlist)");
  app.add_option("-C,--constraint", o.constraint, "node features required, joined with & or ,");
  app.add_option("--cpu-kind", o.cpu_kind, "which cores: any (fastest first), a kind such as big, or big:2,little:4");
  app.add_option("--nice", o.nice, "lower the job's priority by this much");
  app.add_option("--signal", o.signal,
                 "[{R|B}:]SIG[@SECONDS]: send SIG (name or number) SECONDS (default 60) before the time "
                 "limit, to every job step, or with B: to the batch shell only");
  app.add_flag("-H,--hold", o.hold, "submit in held state");
  app.add_flag("--requeue", o.requeue, "run the job again if its node fails");
  app.add_flag("--no-requeue", o.no_requeue, "never run the job again: a node failure ends it NODE_FAIL");
  app.add_flag("--parsable", o.parsable, "print only the job id");
  app.add_flag("-W,--wait", o.wait,
               "wait for the job to end and exit with its exit code (drover submit: and show its progress)");
  for (const char* name : kIgnoredWithValue) {
    std::string flag = name;
    if (flag == "--qos") flag = "-q,--qos";
    if (flag == "--licenses") flag = "-L,--licenses";
    app.add_option(flag, o.ignored, "accepted for Slurm compatibility; no effect yet")->group("Accepted for compatibility");
  }
  for (const char* name : kIgnoredFlags) {
    std::string flag = name;
    if (flag == "--oversubscribe") flag = "-s,--oversubscribe";
    if (flag == "--overcommit") flag = "-O,--overcommit";
    if (flag == "--quiet") flag = "-Q,--quiet";
    if (flag == "--verbose") flag = "-v,--verbose";
    app.add_flag(flag)->description("accepted for Slurm compatibility; no effect yet")->group("Accepted for compatibility");
  }
}

void WarnIgnored(const std::string& prog, const CLI::App& app) {
  if (app.count("--quiet")) return;
  for (const char* name : kIgnoredWithValue) {
    if (app.count(name)) std::cerr << prog << ": warning: " << name << " has no effect on this cluster yet\n";
  }
  for (const char* name : kIgnoredFlags) {
    const std::string n = name;
    if (n == "--quiet" || n == "--verbose") continue;
    if (app.count(name)) std::cerr << prog << ": warning: " << name << " has no effect on this cluster yet\n";
  }
}

Status BuildEnvironment(const std::string& export_env, v1::JobSpec* spec) {
  std::vector<std::pair<std::string, std::string>> current;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    current.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  auto add = [&](const std::string& name, const std::string& value) {
    auto* v = spec->add_environment();
    v->set_name(name);
    v->set_value(value);
  };
  if (export_env.empty() || export_env == "ALL") {
    for (const auto& [k, v] : current) add(k, v);
    return Status::Ok();
  }
  if (export_env == "NONE") return Status::Ok();
  std::stringstream items(export_env);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item == "ALL") {
      for (const auto& [k, v] : current) add(k, v);
    } else if (item == "NONE" || item.empty()) {
      continue;
    } else if (const auto eq = item.find('='); eq != std::string::npos) {
      add(item.substr(0, eq), item.substr(eq + 1));
    } else {
      for (const auto& [k, v] : current) {
        if (k == item) add(k, v);
      }
    }
  }
  return Status::Ok();
}

std::string CurrentDirectory() {
  char buf[PATH_MAX];
  return getcwd(buf, sizeof buf) ? std::string(buf) : std::string("/");
}

std::string Hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string Basename(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<v1::JobSpec> BuildSpec(const SubmitOptions& o, const std::string& script,
                              const std::string& script_name, const std::vector<std::string>& args) {
  v1::JobSpec spec;
  spec.set_script(script);
  for (const auto& a : args) spec.add_script_args(a);
  spec.set_name(!o.job_name.empty() ? o.job_name : script_name);
  std::string cwd = CurrentDirectory();
  std::string work_dir = o.chdir.empty() ? cwd : (o.chdir[0] == '/' ? o.chdir : cwd + "/" + o.chdir);
  spec.set_work_dir(work_dir);
  spec.set_stdout_pattern(o.output);
  spec.set_stderr_pattern(o.error);
  spec.set_ntasks(o.ntasks);
  spec.set_cpus_per_task(o.cpus_per_task);
  spec.set_ntasks_per_node(o.ntasks_per_node);
  spec.set_exclusive(o.exclusive);
  spec.set_cpu_kind(o.cpu_kind);
  spec.set_nice(o.nice);
  DROVER_RETURN_IF_ERROR(ApplySpecText(
      {o.mem, o.mem_per_cpu, o.time, o.nodelist, o.exclude, o.constraint}, &spec));
  DROVER_RETURN_IF_ERROR(SetNodeRange(o.nodes, &spec));
  spec.set_partition(o.partition);
  spec.set_account(o.account);
  spec.set_comment(o.comment);
  spec.set_hold(o.hold);
  // Both given (a directive and the command line, say): not running a job twice is the safe
  // reading.
  if (o.requeue) spec.set_requeue(v1::REQUEUE_POLICY_YES);
  if (o.no_requeue) spec.set_requeue(v1::REQUEUE_POLICY_NO);
  // Checked by the controller, which knows the jobs a dependency names.
  spec.set_array(o.array);
  spec.set_dependency(o.dependency);
  if (!o.signal.empty()) {
    auto warn = ParseWarnSignal(o.signal);
    if (!warn.ok()) return warn.status();
    spec.set_signal_number(warn->signal);
    spec.set_signal_time_s(warn->time_s);
    spec.set_signal_batch_only(warn->batch_only);
  }
  spec.set_submit_host(Hostname());
  DROVER_RETURN_IF_ERROR(BuildEnvironment(o.export_env, &spec));
  return spec;
}

}  // namespace

std::vector<std::string> Reversed(const Args& args) { return {args.rbegin(), args.rend()}; }

int RunSubmit(const std::string& prog, const Args& args) {
  SubmitOptions opts;
  CLI::App app{prog + ": submit a batch script to drover.\n\nusage: " + prog +
               " [options] script [args...]\n       " + prog + " [options] --wrap=\"command\"", prog};
  AddOptions(app, opts);
  app.add_option("--config", opts.config, "drover configuration file");
  app.prefix_command();  // the script and everything after it are the script's, not ours
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::CallForHelp& e) {
    return UsageError(app, prog, e);
  } catch (const CLI::ParseError& e) {
    std::cerr << prog << ": error: " << e.what() << "\nTry '" << prog << " --help' for more information.\n";
    return UsageExit(prog);
  }
  std::vector<std::string> rest = app.remaining();
  for (const auto& r : rest) {
    if (!r.empty() && r[0] == '-' && r == rest.front()) {
      std::cerr << prog << ": error: unrecognized option '" << r << "'\nTry '" << prog
                << " --help' for more information.\n";
      return UsageExit(prog);
    }
  }

  std::string script;
  std::string script_name;
  if (!opts.wrap.empty()) {
    if (!rest.empty()) {
      std::cerr << prog << ": error: give either a script or --wrap, not both\n";
      return UsageExit(prog);
    }
    script = "#!/bin/sh\n# This script was created by sbatch --wrap.\n\n" + opts.wrap + "\n";
    script_name = "wrap";
  } else {
    std::stringstream ss;
    if (rest.empty()) {
      ss << std::cin.rdbuf();  // SB-1: the script on stdin
      script_name = "sbatch";
    } else {
      std::ifstream in(rest.front(), std::ios::binary);
      if (!in) {
        std::cerr << prog << ": error: Unable to open file " << rest.front() << "\n";
        return UsageExit(prog);
      }
      ss << in.rdbuf();
      script_name = Basename(rest.front());
      rest.erase(rest.begin());
    }
    script = ss.str();
    if (script.rfind("#!", 0) != 0) {
      std::cerr << prog << ": error: This does not look like a batch script.  The first\n"
                << prog << ": error: line must start with #! followed by the path to an interpreter.\n"
                << prog << ": error: For instance: #!/bin/sh\n";
      return UsageExit(prog);
    }
    // A script saved on Windows fails on its first line in bash ($'\r': command not found)
    // long after submission; Slurm refuses it up front with these words.
    if (script.find("\r\n") != std::string::npos) {
      std::cerr << prog << ": error: Batch script contains DOS line breaks (\\r\\n)\n"
                << prog << ": error: instead of expected UNIX line breaks (\\n).\n";
      return UsageExit(prog);
    }
    // #SBATCH directives first; the command line, parsed again below, overrides them.
    auto directives = ExtractDirectives(script);
    if (!directives.ok()) return ReportError(prog, directives.status().WithContext("in the script's #SBATCH lines"));
    for (const auto& w : directives->warnings) std::cerr << prog << ": warning: " << w << "\n";
    if (!directives->args.empty()) {
      SubmitOptions from_script;
      CLI::App dapp{"directives"};
      AddOptions(dapp, from_script);
      try {
        auto rev = Reversed(directives->args);
        dapp.parse(rev);
      } catch (const CLI::ParseError& e) {
        std::cerr << prog << ": error: invalid #SBATCH directive: " << e.what() << "\n";
        return UsageExit(prog);
      }
      WarnIgnored(prog, dapp);
      CLI::App again{prog};
      AddOptions(again, from_script);
      again.prefix_command();
      auto rev = Reversed(args);
      try {
        again.parse(rev);
      } catch (const CLI::ParseError&) {
      }
      from_script.config = opts.config;
      opts = from_script;
    }
  }
  WarnIgnored(prog, app);

  auto spec = BuildSpec(opts, script, script_name, rest);
  if (!spec.ok()) return ReportError(prog, spec.status());
  if (!opts.begin.empty()) {
    auto begin = ParseBeginTime(opts.begin, time(nullptr));
    if (!begin.ok()) return ReportError(prog, begin.status().WithContext("--begin"));
    spec->set_begin_time(*begin);
  }
  auto client = ControllerClient::Connect(opts.config);
  if (!client.ok()) return ReportError(prog, client.status());
  v1::Body body;
  *body.mutable_submit_job()->mutable_spec() = *spec;
  auto reply = (*client)->Call(body);
  if (!reply.ok()) {
    std::cerr << prog << ": error: Batch job submission failed: " << reply.status().message() << "\n";
    return 1;
  }
  const uint64_t id = reply->submit_job_response().job_id();
  if (opts.parsable) {
    std::cout << id << std::endl;
  } else {
    std::cout << "Submitted batch job " << id << std::endl;
  }
  if (opts.wait) return WaitForJob(**client, prog, id);
  return 0;
}

}  // namespace drover::cli
