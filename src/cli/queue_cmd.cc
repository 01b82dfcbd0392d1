// squeue and drover queue: list jobs.
#include <google/protobuf/arena.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <limits>
#include <sstream>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "cli/empty_values.h"
#include "cli/cli_util.h"
#include "cli/client.h"
#include "cli/color.h"
#include "cli/exit_codes.h"
#include "cli/queue_table.h"
#include "cli/reply_arena.h"
#include "cli/terminal.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/job_fields.h"
#include "cli/job_table_view.h"
#include "cli/long_format.h"
#include "cli/usage.h"
#include "cli/time_text.h"
#include "common/hostlist.h"
#include "common/job.h"

namespace drover::cli {
namespace {

struct QueueFilter {
  std::string states, users, jobs, partitions, names;
  std::vector<std::string> nodes;  // -w, expanded: jobs on any of them
};

Result<v1::QueryJobsRequest> BuildQuery(const QueueFilter& f) {
  v1::QueryJobsRequest q;
  for (const auto& s : SplitList(f.states)) {
    if (s == "all" || s == "ALL") {
      q.set_include_finished(true);
      q.clear_states();
      break;
    }
    auto state = ParseJobState(s);
    if (!state) {
      return Status::InvalidArgument("invalid job state '" + s +
                                     "': use e.g. PENDING, RUNNING, COMPLETED, PD, R, CD or all");
    }
    static const v1::JobState kMap[] = {v1::JOB_STATE_PENDING,   v1::JOB_STATE_RUNNING,
                                        v1::JOB_STATE_COMPLETED, v1::JOB_STATE_FAILED,
                                        v1::JOB_STATE_CANCELLED, v1::JOB_STATE_TIMEOUT,
                                        v1::JOB_STATE_NODE_FAIL, v1::JOB_STATE_OUT_OF_MEMORY};
    q.add_states(kMap[static_cast<int>(*state)]);
  }
  for (const auto& u : SplitList(f.users)) q.add_users(u);
  for (const auto& p : SplitList(f.partitions)) q.add_partitions(p);
  for (const auto& j : SplitList(f.jobs)) {
    try {
      size_t used = 0;
      const uint64_t id = std::stoull(j, &used);
      // "12_7": the array's id asks for all its elements; Keep() picks the one named.
      if (used != j.size() && j[used] != '_') throw std::invalid_argument(j);
      q.add_job_ids(id);
    } catch (const std::exception&) {
      return Status::InvalidArgument("invalid job id '" + j + "'");
    }
  }
  return q;
}

// Whether `job` is one that `-j` named: "12" names a job or every element of array 12,
// "12_7" one element (its array's pending record while it has not started).
bool Wanted(const v1::JobInfo& job, const QueueFilter& f) {
  if (!f.nodes.empty() && std::none_of(job.allocation().begin(), job.allocation().end(), [&](const auto& a) {
        return std::find(f.nodes.begin(), f.nodes.end(), a.node()) != f.nodes.end();
      })) {
    return false;
  }
  if (!f.names.empty()) {
    const auto names = SplitList(f.names);
    if (std::find(names.begin(), names.end(), job.spec().name()) == names.end()) return false;
  }
  if (f.jobs.empty()) return true;
  const auto named = SplitList(f.jobs);
  return std::any_of(named.begin(), named.end(), [&](const std::string& j) { return NamedBy(job, j); });
}

// What a view needs of the reply besides the jobs themselves.
struct Want {
  bool priorities = false;  // --json, --explain
  uint32_t omit = 0;        // v1::JobInfoPart bits the view does without
  // The columns (v1::JobTableColumn bits) when the view can be printed from a JobTable: a plain
  // listing (no --json, -s, --start, nor a filter the CLI applies) of letters a table has.
  std::optional<uint32_t> table;
};

// Whether a listing printing `codes` can ask for a table: not --json, -s or --start, which
// need JobInfo rows, nor -w, which filters by the allocation (not in a table). -j and -n are
// applied to the table's rows (ids and array ids always come; the name is asked for).
std::optional<uint32_t> TableFor(const QueueFilter& f, std::string_view codes, bool plain) {
  if (!plain || !f.nodes.empty()) return std::nullopt;
  auto columns = JobTableColumns(codes);
  if (columns && !f.names.empty()) *columns |= v1::JOB_TABLE_COLUMN_NAME;
  return columns;
}

// The reply lives on `arena`: over 100,000 jobs, parsing it message by message on the heap and
// freeing it again cost more than the listing.
Result<v1::QueryJobsResponse*> Fetch(const std::optional<std::string>& config, const QueueFilter& f, Want want,
                                     google::protobuf::Arena* arena) {
  auto query = BuildQuery(f);
  if (!query.ok()) return query.status();
  query->set_with_priorities(want.priorities);
  query->set_omit(want.omit);
  if (want.table) {
    query->set_table(true);
    query->set_table_columns(*want.table);
  }
  auto client = ControllerClient::Connect(config);
  if (!client.ok()) return client.status();
  v1::Body body;
  *body.mutable_query_jobs() = *query;
  auto reply = (*client)->Call(body, arena);
  if (!reply.ok()) return reply.status();
  v1::QueryJobsResponse* response = (*reply)->mutable_query_jobs_response();
  // A ctld that predates tables ignores the flag and sends JobInfo rows: ForEachJob reads both.
  if (want.table && response->has_table()) {
    if (Status ok = CheckJobTable(response->table(), *want.table); !ok.ok()) return ok;
  }
  if (want.table && response->has_table() && (!f.jobs.empty() || !f.names.empty())) {
    // The few rows -j or -n keep become JobInfo rows (with the table's columns only, so they
    // print as the table's rows would).
    const v1::JobTable& table = response->table();
    v1::JobInfo view;
    for (int i = 0; i < table.job_id_size(); ++i) {
      JobTableRowInto(table, i, &view);
      if (Wanted(view, f)) *response->add_jobs() = view;
    }
    response->clear_table();
  }
  if (!f.jobs.empty() || !f.names.empty() || !f.nodes.empty()) {
    auto* jobs = response->mutable_jobs();
    jobs->erase(std::remove_if(jobs->begin(), jobs->end(), [&](const v1::JobInfo& j) { return !Wanted(j, f); }),
                jobs->end());
  }
  return response;
}

// The priority %Q and %p print for each pending job: the controller's last weighing (held
// jobs and jobs that no longer wait have none: 0, as Slurm shows a held job's).
std::unordered_map<uint64_t, int64_t> PrioritiesOf(const v1::QueryJobsResponse& jobs) {
  std::unordered_map<uint64_t, int64_t> out;
  for (const auto& p : jobs.priorities()) out[p.job_id()] = p.priority();
  return out;
}

// The rows of a listing in `format`, appended to `out` without a string per field.
void AppendRows(std::string* out, const std::vector<FormatToken>& tokens, const v1::QueryJobsResponse& jobs,
                int64_t now) {
  std::string field;
  const auto priorities = PrioritiesOf(jobs);
  ForEachJob(jobs, [&](const v1::JobInfo& job) {
    for (const auto& t : tokens) {
      out->append(t.literal);
      if (t.code == 0) continue;
      field.clear();
      if (t.code == 'Q' || t.code == 'p') {
        const auto it = priorities.find(job.job_id());
        const bool weighed = it != priorities.end() && job.state() == v1::JOB_STATE_PENDING && !job.held();
        AppendJustified(out, PriorityField(t.code, weighed ? it->second : 0), t.width, t.right);
        continue;
      }
      AppendSqueueField(&field, job, t.code, now);
      AppendJustified(out, field, t.width, t.right);
    }
    out->push_back('\n');
  });
}

}  // namespace

int RunSqueue(const Args& args) {
  CLI::App app{"squeue: view the job queue (Slurm-compatible)", "squeue"};
  app.set_help_flag("--help", "print this help");
  QueueFilter f;
  std::string format, long_spec;
  bool noheader = false, json = false, all = false, me = false, long_format = false, steps = false, start = false;
  std::string nodelist;
  int iterate = 0;
  std::optional<std::string> config;
  app.add_flag("-h,--noheader", noheader, "no header line");
  app.add_option("-o,--format", format, "output format, e.g. '%i %t' or '%.18i %.2t %R'");
  app.add_option("-O,--Format", long_spec, "output fields by name, e.g. JobID:10,Name,State:.8");
  app.add_option("-n,--name", f.names, "only jobs with these names (comma-separated)");
  app.add_option("-t,--states,--state", f.states, "comma-separated states, or 'all'");
  app.add_option("-u,--user,--users", f.users, "comma-separated user names");
  app.add_option("-j,--jobs,--job", f.jobs, "comma-separated job ids");
  app.add_option("-p,--partition,--partitions", f.partitions, "comma-separated partitions");
  app.add_option("-i,--iterate", iterate, "repeat every N seconds");
  app.add_flag("-a,--all", all, "accepted (all partitions are always shown)");
  app.add_flag("-l,--long", long_format, "long format");
  app.add_flag("-s,--steps", steps, "list running job steps (srun) instead of jobs");
  app.add_option("-w,--nodelist", nodelist, "only jobs on these nodes (a hostlist, e.g. node[1-2])");
  app.add_flag("--start", start,
               "pending jobs with their expected start (the scheduler's reservation; N/A when it has none), "
               "soonest first");
  app.add_flag("--me", me, "only my jobs");
  app.add_flag("--json", json, "print JSON");
  app.add_option("--config", config, "drover configuration file");
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return UsageError(app, "squeue", e);
    std::cerr << "squeue: error: " << e.what() << "\nTry \"squeue --help\" for more information\n";
    return 1;
  }
  if (!nodelist.empty()) {
    auto names = ExpandHostlist(nodelist);
    if (!names.ok()) {
      std::cerr << "squeue: error: -w/--nodelist: " << names.status().message() << "\n";
      return 1;
    }
    f.nodes = *names;
  }
  if (start && f.states.empty()) f.states = "PENDING";
  if (me) {
    const char* user = getenv("USER");
    f.users = user ? user : std::to_string(getuid());
  }
  // As Slurm: SQUEUE_FORMAT / SQUEUE_FORMAT2 stand in for -o / -O when neither is given.
  if (format.empty() && long_spec.empty()) {
    if (const char* env = getenv("SQUEUE_FORMAT"); env && *env) format = env;
    else if (const char* env2 = getenv("SQUEUE_FORMAT2"); env2 && *env2) long_spec = env2;
  }
  if (!long_spec.empty()) {
    auto translated = LongFormatToPercent(long_spec, SqueueLongNames());
    if (!translated.ok()) {
      std::cerr << "squeue: error: " << translated.status().message() << "\n";
      return 1;
    }
    format = *translated;
  }
  if (format.empty() && steps) format = "%.15i %.8j %.9P %.8u %.9M %N";
  if (format.empty() && start) format = "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %20Y %R";
  if (format.empty()) {
    format = long_format ? "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R" : kSqueueDefaultFormat;
  }
  const auto tokens = ParseFormat(format);
  Want want;
  const std::string codes = FormatCodes(tokens);
  const bool priority_letters = codes.find_first_of("Qp") != std::string::npos;
  want.priorities = json || priority_letters;
  want.omit = json ? 0 : OmittableJobParts(codes, steps);
  // A table answer carries no priority rows.
  want.table = TableFor(f, codes, !json && !steps && !start && !priority_letters);
  for (;;) {
    google::protobuf::Arena arena(ReplyArenaOptions());
    auto jobs = Fetch(config, f, want, &arena);
    if (!jobs.ok()) {
      std::cerr << "squeue: error: " << jobs.status().message() << "\n";
      return 1;
    }
    if (!f.jobs.empty() && (*jobs)->jobs().empty() && f.states.empty()) {
      std::cerr << "slurm_load_jobs error: Invalid job id specified\n";
      return 1;
    }
    if (start) {  // soonest expected start first; unknown ones last, by id
      auto* list = (*jobs)->mutable_jobs();
      std::stable_sort(list->begin(), list->end(), [](const v1::JobInfo& a, const v1::JobInfo& b) {
        const auto key = [](const v1::JobInfo& j) {
          return j.expected_start() ? j.expected_start() : std::numeric_limits<int64_t>::max();
        };
        return key(a) < key(b);
      });
    }
    if (json) {
      std::cout << ToJson(**jobs);
    } else {
      std::string out;  // the whole report, written at once
      if (!noheader && long_format) {  // as Slurm's -l: the time of the report first
        out += FormatLocalTime(time(nullptr), "%a %b %d %H:%M:%S %Y") + "\n";
      }
      if (!noheader) {
        out += RenderLine(tokens, [&](char c) { return steps && c == 'i' ? std::string("STEPID") : SqueueHeader(c); });
        out += "\n";
      }
      const int64_t now = time(nullptr);
      if (!steps) {
        // Room for every line at once: growing an 8 MB listing by doubling copied it (a tenth
        // of squeue's CPU over 100,000 jobs, and page faults on the fresh copy).
        size_t line = 1;
        for (const auto& t : tokens) line += t.literal.size() + (t.code == 0 ? 0 : t.width > 0 ? t.width : 24);
        out.reserve(out.size() + ((*jobs)->jobs_size() + (*jobs)->table().job_id_size()) * line);
        AppendRows(&out, tokens, **jobs, now);
      }
      std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
      for (const auto& job : (*jobs)->jobs()) {
        if (!steps) break;
        // A running step seen as a job of its own: its id N.M, name, start and nodes.
        for (const auto& step : job.steps()) {
          if (step.state() != v1::JOB_STATE_RUNNING) continue;
          v1::JobInfo view = job;
          view.clear_steps();
          view.mutable_spec()->set_name(step.name());
          view.set_start_time(step.start_time());
          view.set_node_list(step.node_list());
          view.set_cpus(step.cpus());
          const std::string id = JobIdText(job) + "." + std::to_string(step.step_id());
          std::cout << RenderLine(tokens, [&](char c) {
            if (c == 'i' || c == 'A') return id;
            if (c == 'N') return step.node_list();
            return SqueueField(view, c, now);
          }) << "\n";
        }
      }
    }
    std::cout.flush();
    if (iterate <= 0) return 0;
    CatchInterrupts();  // Ctrl-C ends the repetition cleanly (exit 0), between two reports
    if (!SleepUnlessInterrupted(iterate)) return 0;
    std::cout << "\n";
  }
}

// sprio's view of one pending job: each priority factor, its weight and its part.
// --explain --json: the job, its rank among the pending jobs and its PriorityInfo (null when
// it is not pending or no pass has weighed it yet).
void ExplainJson(const v1::QueryJobsResponse& jobs, const v1::JobInfo& job) {
  int rank = 0;
  const v1::PriorityInfo* found = nullptr;
  for (const auto& p : jobs.priorities()) {
    ++rank;
    if (p.job_id() == job.job_id()) {
      found = &p;
      break;
    }
  }
  std::cout << "{\n  \"job_id\": " << job.job_id() << ",\n  \"state\": " << JsonString(SqueueField(job, 'T', 0))
            << ",\n  \"reason\": " << JsonString(job.reason()) << ",\n  \"rank\": " << (found ? rank : 0)
            << ",\n  \"pending\": " << jobs.priorities_size() << ",\n  \"priority\": "
            << (found ? ToJson(*found) : std::string("null")) << "\n}\n";
}

// `id_text`: "12", or "12_7" (the element, or its array's pending record while not started).
int Explain(const std::optional<std::string>& config, const std::string& id_text, bool json) {
  QueueFilter f;
  f.jobs = id_text;
  f.states = "all";
  google::protobuf::Arena arena(ReplyArenaOptions());
  Want want;
  want.priorities = true;
  want.omit = OmittableJobParts("T", false);
  auto fetched = Fetch(config, f, want, &arena);
  if (!fetched.ok()) return ReportError("drover queue", fetched.status());
  const v1::QueryJobsResponse* jobs = *fetched;
  if (jobs->jobs().empty()) return ReportError("drover queue", Status::NotFound("no job " + id_text));
  const auto& job = jobs->jobs(0);
  const uint64_t id = job.job_id();
  if (json) {
    ExplainJson(*jobs, job);
    return 0;
  }
  if (job.state() != v1::JOB_STATE_PENDING) {
    std::cout << "job " << JobIdText(job) << " is " << SqueueField(job, 'T', 0)
              << ": priority only orders pending jobs\n";
    return 0;
  }
  int rank = 0;
  for (const auto& p : jobs->priorities()) {
    ++rank;
    if (p.job_id() != id) continue;
    char line[160];
    std::cout << "job " << JobIdText(job) << " (" << p.user() << "), priority " << p.priority() << ", "
              << rank << " of " << jobs->priorities_size() << " pending; waiting: " << job.reason() << "\n\n";
    std::cout << "FACTOR       VALUE   PART\n";
    for (const auto& [name, value, part] :
         {std::tuple<const char*, double, double>{"age", p.age(), p.age_part()},
          {"fair-share", p.fairshare(), p.fairshare_part()},
          {"job size", p.job_size(), p.job_size_part()},
          {"partition", p.partition(), p.partition_part()}}) {
      snprintf(line, sizeof line, "%-10s  %6.3f  %7.1f\n", name, value, part);
      std::cout << line;
    }
    snprintf(line, sizeof line, "%-10s          %7d\n", "nice", -p.nice());
    std::cout << line;
    snprintf(line, sizeof line, "\n%s has used %.0f CPU-seconds recently (decayed).\n", p.user().c_str(),
             p.user_usage_cpu_seconds());
    std::cout << line;
    return 0;
  }
  std::cout << "job " << JobIdText(job) << " has not been through a scheduling pass yet\n";
  return 0;
}

// The native view: the same data as a table fitted to the terminal, states in colour there.
int RunQueue(const Args& args) {
  const std::string prog = "drover queue";
  CLI::App app{"drover queue: pending and running jobs", prog};
  app.set_help_flag("--help", "print this help");
  QueueFilter f;
  bool json = false, all = false, noheader = false, no_color = false, me = false, steps = false;
  std::string format, long_fields, watch_text;
  bool long_format = false;
  int iterate = 0;
  std::optional<std::string> config;
  app.add_option("-t,--states,--state", f.states, "comma-separated states (PENDING, R, CD, ...) or all");
  app.add_option("-u,--user,--users", f.users, "comma-separated user names");
  app.add_flag("--me", me, "only my jobs");
  app.add_option("-j,--jobs,--job", f.jobs, "comma-separated job ids");
  app.add_option("-n,--name", f.names, "only jobs with these names (comma-separated)");
  app.add_option("-p,--partition,--partitions", f.partitions, "comma-separated partitions");
  app.add_flag("-a,--all", all, "include jobs that finished recently");
  app.add_flag("-h,--noheader", noheader, "no header line");
  app.add_option("-o,--format", format, "squeue's %-format instead of the table, e.g. '%i %T'");
  app.add_option("-O,--Format", long_fields, "squeue's fields by name instead of the table, e.g. JobID,State");
  app.add_flag("-l,--long", long_format, "squeue's long format instead of the table");
  app.add_flag("-s,--steps", steps, "running job steps, as squeue -s");
  app.add_option("--watch", watch_text, "redraw every SECONDS (default 2) until Ctrl-C")
      ->expected(0, 1)
      ->type_name("[SECONDS]");
  app.add_option("-i,--iterate", iterate, "print again every SECONDS until Ctrl-C (as squeue -i)")->type_name("SECONDS");
  app.add_flag("--json", json, "print JSON (the fields of QueryJobsResponse in docs/user-guide.md)");
  app.add_flag("--no-color", no_color, "no colour even on a terminal (also: NO_COLOR=1)");
  std::optional<std::string> explain;
  app.add_option("--explain", explain, "why a pending job has the priority it has (like sprio); with --json as JSON");
  app.add_option("--config", config, "drover configuration file");
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    return UsageError(app, prog, e);
  }
  double watch = 0;
  if (app.count("--watch")) {
    watch = 2;
    if (!watch_text.empty()) {
      char* end = nullptr;
      watch = std::strtod(watch_text.c_str(), &end);
      if (end == nullptr || *end != '\0' || !(watch >= 0.1)) {
        std::cerr << prog << ": error: --watch: invalid interval '" << watch_text
                  << "': give seconds, at least 0.1 (e.g. --watch 5)\n";
        return kExitUsage;
      }
    }
  }
  if (explain) return Explain(config, *explain, json);
  if (!format.empty() || !long_fields.empty() || long_format || steps) {
    // The %-format is squeue's: let squeue render it, with the same filters.
    Args sq;
    for (const auto& [flag, value] : {std::pair<const char*, const std::string*>{"-o", &format}, {"-t", &f.states},
                                      {"-u", &f.users}, {"-j", &f.jobs}, {"-p", &f.partitions},
                                      {"-O", &long_fields}, {"-n", &f.names}}) {
      if (!value->empty()) sq.insert(sq.end(), {flag, *value});
    }
    if (all && f.states.empty()) sq.insert(sq.end(), {"-t", "all"});
    if (noheader) sq.push_back("-h");
    if (steps) sq.push_back("-s");
    if (long_format) sq.push_back("-l");
    if (me) sq.push_back("--me");
    if (json) sq.push_back("--json");
    if (iterate > 0 || watch > 0) sq.insert(sq.end(), {"-i", std::to_string(std::max<int>(1, iterate > 0 ? iterate : static_cast<int>(watch)))});
    if (config) sq.insert(sq.end(), {"--config", *config});
    return RunSqueue(sq);
  }
  if (me) {
    const char* user = getenv("USER");
    f.users = user ? user : std::to_string(getuid());
  }
  if (all && f.states.empty()) f.states = "all";
  const bool redraw = watch > 0 && IsTerminal(1);
  const bool color = ShouldColor(no_color, IsTerminal(1), getenv("NO_COLOR"), getenv("TERM"));
  if (watch > 0 || iterate > 0) CatchInterrupts();
  Want want;
  want.priorities = json;
  want.omit = json ? 0 : OmittableJobParts(kQueueTableCodes, false);
  want.table = TableFor(f, kQueueTableCodes, !json);
  for (bool first = true;; first = false) {
    google::protobuf::Arena arena(ReplyArenaOptions());
    auto jobs = Fetch(config, f, want, &arena);
    if (!jobs.ok()) return ReportError(prog, jobs.status());
    std::string out;
    if (json) {
      out = ToJson(**jobs);
    } else {
      out = QueueTable(**jobs, OutputWidth(1), !noheader, color);
    }
    if (redraw) {
      const std::string stamp = FormatLocalTime(time(nullptr), "%a %b %e %H:%M:%S %Y");
      std::cout << "\033[H\033[2J";
      std::cout << "drover queue, every " << (watch_text.empty() ? std::string("2") : watch_text) << "s  " << stamp
                << "  (Ctrl-C to stop)\n\n";
    } else if (!first) {
      std::cout << "\n";
    }
    std::cout << out << std::flush;
    const double pause = watch > 0 ? watch : iterate;
    if (pause <= 0) return kExitOk;
    if (!SleepUnlessInterrupted(pause)) return kExitOk;
  }
}

}  // namespace drover::cli
