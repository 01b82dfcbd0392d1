// sacct and drover acct: jobs from the controller's accounting store.
#include <google/protobuf/util/json_util.h>
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <sstream>

#include "cli/empty_values.h"
#include "cli/acct_fields.h"
#include "cli/cli_util.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/terminal.h"
#include "cli/usage.h"
#include "common/job.h"

namespace drover::cli {
namespace {

std::string CurrentUser() {
  struct passwd* pw = getpwuid(getuid());
  return pw ? pw->pw_name : std::to_string(getuid());
}

struct AcctOptions {
  std::vector<std::string> jobs;
  std::string users, format, start, end, states;
  bool parsable = false, parsable2 = false, noheader = false, brief = false, all_users = false,
       allocations = false, json = false;
  std::optional<std::string> config;
};

void AddOptions(CLI::App& app, AcctOptions& o) {
  app.add_option("-j,--jobs", o.jobs, "job ids (comma-separated; may repeat)")->take_all()->delimiter(',');
  app.add_option("-u,--user,--uid", o.users, "users (comma-separated)");
  app.add_option("-o,--format", o.format, "fields, e.g. JobID,State,ExitCode (Name%width sets a width)");
  app.add_option("-S,--starttime", o.start, "jobs running or ended after this time");
  app.add_option("-E,--endtime", o.end, "jobs submitted before this time");
  app.add_option("-s,--state", o.states, "only jobs in these states");
  app.add_flag("-p,--parsable", o.parsable, "'|'-separated, with a trailing '|'");
  app.add_flag("-P,--parsable2", o.parsable2, "'|'-separated, no trailing '|'");
  app.add_flag("-n,--noheader", o.noheader, "no header");
  app.add_flag("-b,--brief", o.brief, "JobID, State and ExitCode only");
  app.add_flag("-a,--allusers", o.all_users, "every user's jobs");
  app.add_flag("-X,--allocations", o.allocations, "job rows only, no steps");
  app.add_option("--config", o.config, "drover configuration file");
}

int Run(const std::string& prog, const Args& args, bool native) {
  CLI::App app{prog + ": accounting of jobs, finished or not", prog};
  app.set_help_flag("--help", "print this help");
  AcctOptions o;
  AddOptions(app, o);
  if (native) app.add_flag("--json", o.json, "print JSON");
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return UsageError(app, prog, e);
    std::cerr << prog << ": error: " << e.what() << "\n";
    return UsageExit(prog);
  }
  const int64_t now = time(nullptr);
  v1::Body body;
  auto* q = body.mutable_query_acct();
  for (const auto& j : o.jobs) {
    // "123", "123.batch", "123_4": accounting is per job id here.
    const std::string digits = j.substr(0, j.find_first_not_of("0123456789"));
    if (digits.empty()) {
      std::cerr << prog << ": error: invalid job id \"" << j << "\"\n";
      return UsageExit(prog);
    }
    q->add_job_ids(std::stoull(digits));
  }
  if (!o.users.empty()) {
    for (const auto& u : SplitList(o.users)) q->add_users(u);
  } else if (!o.all_users && getuid() != 0 && o.jobs.empty()) {
    q->add_users(CurrentUser());
  }
  // SA-5: with -j all history; without, since midnight (unless -S says otherwise).
  std::string start = o.start;
  if (start.empty() && o.jobs.empty()) start = "midnight";
  if (!start.empty()) {
    auto t = ParseAcctTime(start, now);
    if (!t.ok()) return ReportError(prog, t.status());
    q->set_start_after(*t);
  }
  if (!o.end.empty()) {
    auto t = ParseAcctTime(o.end, now);
    if (!t.ok()) return ReportError(prog, t.status());
    q->set_end_before(*t);
  }
  std::vector<JobState> states;
  for (const auto& s : SplitList(o.states)) {
    auto st = ParseJobState(s);
    if (!st) return ReportError(prog, Status::InvalidArgument("invalid state \"" + s + "\""));
    states.push_back(*st);
  }
  // As Slurm: SACCT_FORMAT stands in for -o when neither -o nor -b is given.
  std::string format = o.format;
  if (format.empty() && !o.brief) {
    if (const char* env = getenv("SACCT_FORMAT"); env && *env) format = env;
  }
  auto fields = ParseAcctFields(format.empty() ? (o.brief ? kAcctBriefFields : kAcctDefaultFields) : format);
  if (!fields.ok()) return ReportError(prog, fields.status());

  auto client = ControllerClient::Connect(o.config);
  if (!client.ok()) return ReportError(prog, client.status());
  auto reply = (*client)->Call(body);
  if (!reply.ok()) return ReportError(prog, reply.status());
  auto jobs = reply->query_acct_response();
  // The controller answers per numeric id (an array's id brings all its elements); "12_7"
  // keeps only element 7, as Slurm's sacct does.
  if (std::any_of(o.jobs.begin(), o.jobs.end(), [](const std::string& j) { return j.find('_') != std::string::npos; })) {
    auto wanted = [&](const v1::JobInfo& job) {
      for (const auto& j : o.jobs) {
        const auto us = j.find('_');
        const std::string base = j.substr(0, us);
        if (us == std::string::npos) {
          if (base == std::to_string(job.job_id()) || base == std::to_string(job.array_job_id())) return true;
          continue;
        }
        std::string index = j.substr(us + 1);
        index = index.substr(0, index.find('.'));  // "12_7.batch": the element's rows
        if (base == std::to_string(job.array_job_id()) && job.array_pending().empty() &&
            index == std::to_string(job.array_task_id())) {
          return true;
        }
      }
      return false;
    };
    auto* list = jobs.mutable_jobs();
    list->erase(std::remove_if(list->begin(), list->end(), [&](const v1::JobInfo& j) { return !wanted(j); }),
                list->end());
  }
  if (!states.empty()) {
    v1::QueryAcctResponse kept;
    for (const auto& j : jobs.jobs()) {
      for (JobState s : states) {
        if (std::string(JobStateName(s)) == v1::JobState_Name(j.state()).substr(10)) *kept.add_jobs() = j;
      }
    }
    jobs = kept;
  }
  if (o.json) {
    std::cout << ToJson(jobs);
    return 0;
  }
  // Jobs in id order, an array's elements together in index order (the remainder last), as
  // people read them; the element that kept the array's own id would otherwise come first.
  std::stable_sort(jobs.mutable_jobs()->begin(), jobs.mutable_jobs()->end(),
                   [](const v1::JobInfo& a, const v1::JobInfo& b) {
                     auto key = [](const v1::JobInfo& j) {
                       const uint64_t base = j.array_job_id() ? j.array_job_id() : j.job_id();
                       const uint64_t index = !j.array_job_id()           ? 0
                                              : j.array_pending().empty() ? j.array_task_id()
                                                                          : UINT64_MAX;
                       return std::make_pair(base, index);
                     };
                     return key(a) < key(b);
                   });
  std::vector<std::vector<std::string>> rows;
  for (const auto& job : jobs.jobs()) {
    auto job_rows = AcctRows(job, *fields, now, false);
    if (o.allocations) job_rows.resize(1);
    for (auto& r : job_rows) rows.push_back(std::move(r));
  }
  const AcctLayout layout = o.parsable2 ? AcctLayout::kParsable2 : o.parsable ? AcctLayout::kParsable : AcctLayout::kTable;
  if (native && layout == AcctLayout::kTable) {
    // drover acct: columns sized to their contents and fitted to the terminal, not sacct's
    // fixed widths and dashes.
    TableOptions table;
    table.width = OutputWidth(STDOUT_FILENO);
    table.header = !o.noheader;
    std::cout << RenderTable(AcctTableColumns(*fields), rows, table);
    return 0;
  }
  std::cout << RenderAcct(*fields, rows, layout, !o.noheader);
  return 0;
}

}  // namespace

int RunSacct(const Args& args) { return Run("sacct", args, false); }
int RunAcct(const Args& args) { return Run("drover acct", args, true); }

}  // namespace drover::cli
