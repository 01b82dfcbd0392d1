// Entry points of the CLI's commands. Each takes its arguments without the program name and
// returns the process exit status. `prog` is the name used in messages ("sbatch",
// "drover submit").
#pragma once

#include <string>
#include <vector>

namespace drover::cli {

using Args = std::vector<std::string>;

int RunSubmit(const std::string& prog, const Args& args);  // sbatch, drover submit
int RunSqueue(const Args& args);
int RunQueue(const Args& args);                            // drover queue
int RunSinfo(const Args& args);
int RunInfo(const Args& args);                             // drover info
int RunScancel(const Args& args);
int RunCancel(const Args& args);                           // drover cancel
int RunSacct(const Args& args);
int RunAcct(const Args& args);                             // drover acct
int RunScontrol(const Args& args);
int RunSacctmgr(const Args& args);                         // read-only: list user/association
int RunControl(const Args& args);                          // drover control
int RunKeygen(const Args& args);
int RunLocal(const Args& args);                            // drover local ...
int RunSrun(const std::string& prog, const Args& args);    // srun, drover run
int RunSalloc(const std::string& prog, const Args& args);  // salloc, drover alloc

// Parses argv for a CLI11 app the way CLI11 wants it (reversed copy).
std::vector<std::string> Reversed(const Args& args);

}  // namespace drover::cli
