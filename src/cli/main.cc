// The drover CLI. One binary: `drover <command>`, and the Slurm-compatible front ends when
// invoked as sbatch, squeue, sinfo or scancel (argv[0]), so existing tools work unchanged.
#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/usage.h"

namespace {

const char* kUsage =
    "usage: drover <command> [options]\n"
    "\n"
    "commands:\n"
    "  submit   submit a batch script (like sbatch)\n"
    "  run      run a command on the cluster now, as a job step (like srun)\n"
    "  alloc    hold an allocation while a shell or command runs (like salloc)\n"
    "  queue    show pending and running jobs (like squeue)\n"
    "  info     show nodes and partitions (like sinfo)\n"
    "  cancel   cancel jobs (like scancel)\n"
    "  acct     accounting: finished and running jobs (like sacct)\n"
    "  control  show jobs, nodes, partitions; hold, release, requeue (like scontrol)\n"
    "  keygen   make the cluster key, CA and host certificates\n"
    "  local    run a whole cluster on this machine (up, down, status, kill, start)\n"
    "\n"
    "  help     'drover help CMD' = 'drover CMD --help'; --man CMD prints its man page\n"
    "\n"
    "Run 'drover <command> --help' for a command's options. The Slurm names sbatch, srun, salloc,\n"
    "squeue, sinfo, scancel, sacct, scontrol and sacctmgr are the same program and behave as Slurm's do.\n";

const char* kNative[] = {"submit", "run", "alloc", "queue", "info", "cancel", "acct", "control", "keygen", "local"};
const char* kSlurm[] = {"sbatch", "srun", "salloc", "squeue", "sinfo", "scancel", "sacct", "scontrol"};

int Dispatch(const std::string& command, const drover::cli::Args& rest);

// drover help [CMD] | --man CMD | --man-dir DIR | --options CMD | --commands
int Help(const drover::cli::Args& args) {
  using namespace drover::cli;
  if (args.empty()) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (args[0] == "--commands") {  // for bash completion
    for (const char* c : kNative) std::cout << c << "\n";
    std::cout << "help\n";
    return kExitOk;
  }
  if (args[0] == "--man-dir" && args.size() == 2) {
    // One page per command, made by running each with --help in man mode.
    SetHelpMode(HelpMode::kMan);
    // The Slurm names get pages of their own (sbatch.1, ...): `man sbatch` on a drover host
    // shows what drover's sbatch takes.
    std::vector<std::pair<std::string, std::string>> pages;
    for (const char* c : kNative) pages.push_back({c, std::string("drover-") + c});
    for (const char* c : kSlurm) pages.push_back({c, c});
    for (const auto& [command, name] : pages) {
      std::ostringstream page;
      auto* saved = std::cout.rdbuf(page.rdbuf());
      const int rc = Dispatch(command, {"--help"});
      std::cout.rdbuf(saved);
      const std::string path = args[1] + "/" + name + ".1";
      std::ofstream out(path);
      if (rc != 0 || !(out << page.str())) {
        std::cerr << "drover help: error: cannot write " << path << "\n";
        return kExitFailed;
      }
    }
    std::ofstream out(args[1] + "/drover.1");
    out << ".TH DROVER 1 \"\" \"drover 0.1.0\" \"drover manual\"\n.SH NAME\ndrover \\- a batch workload "
           "manager's command line\n.SH SYNOPSIS\n\\fBdrover\\fR \\fIcommand\\fR [options]\n.SH COMMANDS\n.nf\n";
    std::string usage = kUsage;
    usage = usage.substr(usage.find("commands:"));
    for (char ch : usage) out << (ch == '-' ? std::string("\\-") : std::string(1, ch));
    out << ".fi\n.SH SEE ALSO\n";
    for (const char* c : kNative) out << "\\fBdrover\\-" << c << "\\fR(1)\n";
    return out ? kExitOk : kExitFailed;
  }
  HelpMode mode = HelpMode::kText;
  size_t at = 0;
  if (args[0] == "--man") mode = HelpMode::kMan, at = 1;
  if (args[0] == "--options") mode = HelpMode::kOptions, at = 1;
  if (at >= args.size()) {
    std::cerr << "drover help: error: name a command, e.g. drover help " << args[0] << " submit\n";
    return kExitUsage;
  }
  for (const char* c : kNative) {
    if (args[at] != c) continue;
    SetHelpMode(mode);
    return Dispatch(args[at], {"--help"});
  }
  for (const char* c : kSlurm) {
    if (args[at] != c) continue;
    SetHelpMode(mode);
    return Dispatch(args[at], {"--help"});
  }
  std::cerr << "drover help: error: unknown command '" << args[at] << "'\n\n" << kUsage;
  return kExitUsage;
}

std::string Basename(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  using namespace drover::cli;
  const std::string self = Basename(argc > 0 ? argv[0] : "drover");
  Args args(argv + 1, argv + argc);
  if (self == "sbatch") return RunSubmit("sbatch", args);
  if (self == "srun") return RunSrun("srun", args);
  if (self == "salloc") return RunSalloc("salloc", args);
  if (self == "squeue") return RunSqueue(args);
  if (self == "sinfo") return RunSinfo(args);
  if (self == "scancel") return RunScancel(args);
  if (self == "sacct") return RunSacct(args);
  if (self == "scontrol") return RunScontrol(args);
  if (self == "sacctmgr") return RunSacctmgr(args);

  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    std::cout << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version") {
    std::cout << "drover 0.1.0\n";
    return 0;
  }
  return Dispatch(args[0], Args(args.begin() + 1, args.end()));
}

namespace {

int Dispatch(const std::string& command, const drover::cli::Args& rest) {
  using namespace drover::cli;
  if (command == "help") return Help(rest);
  if (command == "submit") return RunSubmit("drover submit", rest);
  if (command == "run") return RunSrun("drover run", rest);
  if (command == "alloc") return RunSalloc("drover alloc", rest);
  if (command == "queue") return RunQueue(rest);
  if (command == "info") return RunInfo(rest);
  if (command == "cancel") return RunCancel(rest);
  if (command == "acct") return RunAcct(rest);
  if (command == "control") return RunControl(rest);
  if (command == "keygen") return RunKeygen(rest);
  if (command == "local") return RunLocal(rest);
  // The Slurm names also work as subcommands: `drover sbatch ...`.
  if (command == "sbatch") return RunSubmit("sbatch", rest);
  if (command == "srun") return RunSrun("srun", rest);
  if (command == "salloc") return RunSalloc("salloc", rest);
  if (command == "squeue") return RunSqueue(rest);
  if (command == "sinfo") return RunSinfo(rest);
  if (command == "scancel") return RunScancel(rest);
  if (command == "sacct") return RunSacct(rest);
  if (command == "scontrol") return RunScontrol(rest);
  if (command == "sacctmgr") return RunSacctmgr(rest);
  std::cerr << "drover: unknown command '" << command << "'\n\n" << kUsage;
  return kExitUsage;
}

}  // namespace
