#include "cli/acct_fields.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <initializer_list>
#include <sstream>

#include "cli/job_fields.h"
#include "cli/time_text.h"
#include "common/hostlist.h"
#include "common/job.h"
#include "common/text.h"

namespace drover::cli {
namespace {

struct FieldDef {
  const char* name;
  int width;
};

constexpr FieldDef kFields[] = {
    {"JobID", 12},     {"JobIDRaw", 12},  {"JobName", 10},   {"User", 9},       {"UID", 6},
    {"Group", 9},      {"GID", 6},        {"Partition", 10}, {"Account", 10},   {"State", 10},
    {"ExitCode", 8},   {"Elapsed", 10},   {"ElapsedRaw", 10}, {"Start", 19},    {"End", 19},
    {"Submit", 19},    {"NodeList", 15},  {"NNodes", 8},     {"AllocCPUS", 10}, {"NCPUS", 10},
    {"ReqCPUS", 8},    {"ReqMem", 10},    {"ReqNodes", 8},   {"MaxRSS", 10},    {"TotalCPU", 10},
    {"Timelimit", 10}, {"WorkDir", 30},   {"Reason", 20},    {"Comment", 15},   {"AllocNodes", 10},
    {"Restarts", 8},   {"Priority", 10},  {"QOS", 10},       {"Cluster", 10},   {"DerivedExitCode", 15},
};

std::string Lower(const std::string& s) { return AsciiLower(s); }

bool Among(const std::string& name, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (name == n) return true;
  }
  return false;
}

std::string Clock(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  char buf[32];
  const int64_t d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60;
  if (d > 0) {
    snprintf(buf, sizeof buf, "%lld-%02lld:%02lld:%02lld", static_cast<long long>(d), static_cast<long long>(h),
             static_cast<long long>(m), static_cast<long long>(s));
  } else {
    snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(h), static_cast<long long>(m),
             static_cast<long long>(s));
  }
  return buf;
}

std::string Stamp(int64_t t) { return t ? FormatTimestamp(t) : "Unknown"; }

std::string StateName(const v1::JobInfo& job, bool cancelled_by_uid) {
  std::string name = SqueueField(job, 'T', 0);
  if (cancelled_by_uid && job.state() == v1::JOB_STATE_CANCELLED) name += " by " + std::to_string(job.uid());
  return name;
}

std::string Mem(uint64_t mb) {
  if (mb && mb % 1024 == 0) return std::to_string(mb / 1024) + "G";
  return std::to_string(mb) + "M";
}

std::string TotalCpu(uint64_t ms) {
  char buf[32];
  const uint64_t s = ms / 1000;
  if (s >= 3600) return Clock(static_cast<int64_t>(s));
  snprintf(buf, sizeof buf, "%02llu:%02llu.%03llu", static_cast<unsigned long long>(s / 60),
           static_cast<unsigned long long>(s % 60), static_cast<unsigned long long>(ms % 1000));
  return buf;
}

// Whether the job was given nodes: a job that ended while pending has a start time but none.
bool Ran(const v1::JobInfo& job) { return job.allocation_size() > 0 || !job.node_list().empty(); }

// The value of one field for the job row (step == "") or a step row ("batch").
std::string Value(const v1::JobInfo& job, const std::string& field, const std::string& step, int64_t now,
                  bool cancelled_by_uid) {
  const bool is_step = !step.empty();
  const bool started = job.start_time() != 0 && job.state() != v1::JOB_STATE_PENDING;
  const bool ran = started && Ran(job);
  const int64_t end = job.end_time() ? job.end_time() : now;
  const int64_t elapsed = started ? std::max<int64_t>(0, end - job.start_time()) : 0;
  const std::string id = std::to_string(job.job_id());
  uint32_t nodes = static_cast<uint32_t>(job.allocation_size());
  uint32_t cpus = job.cpus();
  std::string node_list = job.allocation_size() ? job.node_list() : "None assigned";
  if (is_step && job.allocation_size()) {
    nodes = 1;
    cpus = job.allocation(0).cpus();
    node_list = job.allocation(0).node();
  }
  if (field == "JobID") return is_step ? JobIdText(job) + "." + step : JobIdText(job);
  if (field == "JobIDRaw") return is_step ? id + "." + step : id;
  if (field == "JobName") return is_step ? step : job.spec().name();
  if (field == "User") return is_step ? "" : job.user();
  if (field == "UID") return is_step ? "" : std::to_string(job.uid());
  if (field == "Group" || field == "GID") return is_step ? "" : std::to_string(job.gid());
  if (field == "Partition") return is_step ? "" : job.partition();
  if (field == "Account") return job.spec().account();
  if (field == "State") return StateName(job, cancelled_by_uid);
  if (field == "ExitCode") return std::to_string(job.exit_code()) + ":" + std::to_string(job.exit_signal());
  if (field == "DerivedExitCode") return is_step ? "" : std::to_string(job.exit_code()) + ":0";
  if (field == "Elapsed") return Clock(elapsed);
  if (field == "ElapsedRaw") return std::to_string(elapsed);
  if (field == "Start") return started ? Stamp(job.start_time()) : "Unknown";
  if (field == "End") return job.end_time() ? Stamp(job.end_time()) : "Unknown";
  if (field == "Submit") return Stamp(job.submit_time());
  if (field == "NodeList") return node_list;
  if (field == "NNodes" || field == "AllocNodes") return std::to_string(nodes ? nodes : std::max<uint32_t>(job.spec().min_nodes(), 1));
  if (field == "ReqNodes") return std::to_string(job.spec().min_nodes() ? job.spec().min_nodes() : 1);
  if (field == "AllocCPUS" || field == "NCPUS") return std::to_string(ran ? cpus : 0);
  if (field == "ReqCPUS") return std::to_string(job.cpus());
  if (field == "ReqMem") {
    if (job.spec().mem_per_cpu_mb()) return Mem(job.spec().mem_per_cpu_mb()) + "c";
    uint64_t mb = job.spec().mem_per_node_mb();
    if (!mb && job.allocation_size()) mb = job.allocation(0).memory_mb();
    return mb ? Mem(mb) : "0";
  }
  if (field == "MaxRSS") return is_step && job.usage().max_rss_kb() ? std::to_string(job.usage().max_rss_kb()) + "K" : "";
  if (field == "TotalCPU") return TotalCpu(job.usage().total_cpu_ms());
  // sacct prints limits as Slurm's mins2time_str does: "00:30:00", not squeue's "30:00".
  if (field == "Timelimit") {
    if (is_step) return "";
    return job.time_limit_minutes() ? Clock(int64_t{job.time_limit_minutes()} * 60) : "UNLIMITED";
  }
  if (field == "WorkDir") return job.spec().work_dir();
  if (field == "Reason") return job.reason();
  if (field == "Comment") return job.spec().comment();
  if (field == "Restarts") return std::to_string(job.requeue_count());
  if (field == "Priority") return "1";
  if (field == "QOS") return "normal";
  if (field == "Cluster") return "";
  return "";
}

}  // namespace

Result<std::vector<AcctField>> ParseAcctFields(const std::string& list) {
  std::vector<AcctField> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(std::remove_if(item.begin(), item.end(), ::isspace), item.end());
    if (item.empty()) continue;
    int width = -1;
    if (auto pct = item.find('%'); pct != std::string::npos) {
      try {
        width = std::stoi(item.substr(pct + 1));
      } catch (const std::exception&) {
        return Status::InvalidArgument("invalid field width in \"" + item + "\"");
      }
      item = item.substr(0, pct);
    }
    const FieldDef* def = nullptr;
    for (const auto& f : kFields) {
      if (Lower(f.name) == Lower(item)) def = &f;
    }
    if (def == nullptr) return Status::InvalidArgument("Invalid field requested: \"" + item + "\"");
    out.push_back({def->name, width >= 0 ? width : def->width});
  }
  if (out.empty()) return Status::InvalidArgument("no fields requested");
  return out;
}

std::vector<std::vector<std::string>> AcctRows(const v1::JobInfo& job, const std::vector<AcctField>& fields,
                                               int64_t now, bool cancelled_by_uid) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> steps{""};
  // An interactive allocation (srun, salloc) has no batch step, nor has a job cancelled while it
  // waited (its start time is its end time, as in Slurm, but nothing ran).
  if (job.start_time() != 0 && job.state() != v1::JOB_STATE_PENDING && !job.spec().interactive() && Ran(job)) {
    steps.push_back("batch");
  }
  for (const auto& step : steps) {
    std::vector<std::string> row;
    for (const auto& f : fields) row.push_back(Value(job, f.name, step, now, cancelled_by_uid));
    rows.push_back(std::move(row));
  }
  // srun steps: <id>.<n>, seen as a job of their own (their nodes, times, state, exit code).
  for (const auto& s : job.steps()) {
    v1::JobInfo view = job;
    view.clear_steps();
    view.set_state(s.state());
    view.set_start_time(s.start_time());
    view.set_end_time(s.end_time());
    view.set_exit_code(s.exit_code());
    view.set_exit_signal(s.exit_signal());
    view.set_node_list(s.node_list());
    view.set_cpus(s.cpus());
    view.set_reason(s.reason());
    view.clear_allocation();
    auto names = ExpandHostlist(s.node_list());
    for (const auto& n : names.ok() ? *names : std::vector<std::string>{}) view.add_allocation()->set_node(n);
    const std::string id = std::to_string(s.step_id());
    std::vector<std::string> row;
    for (const auto& f : fields) {
      if (f.name == "JobName") {
        row.push_back(s.name());
      } else if (f.name == "NodeList") {
        row.push_back(s.node_list());
      } else if (f.name == "NNodes" || f.name == "AllocNodes") {
        row.push_back(std::to_string(view.allocation_size()));
      } else if (f.name == "AllocCPUS" || f.name == "NCPUS" || f.name == "ReqCPUS") {
        row.push_back(std::to_string(s.cpus()));
      } else if (f.name == "State") {
        row.push_back(StateName(view, cancelled_by_uid && s.state() == v1::JOB_STATE_CANCELLED));
      } else {
        row.push_back(Value(view, f.name, id, now, cancelled_by_uid));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string RenderAcct(const std::vector<AcctField>& fields, const std::vector<std::vector<std::string>>& rows,
                       AcctLayout layout, bool header) {
  std::string out;
  auto line = [&](const std::vector<std::string>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (layout == AcctLayout::kTable) {
        const int w = fields[i].width;
        std::string v = values[i].substr(0, static_cast<size_t>(w));
        const std::string pad(static_cast<size_t>(w) - v.size(), ' ');
        // sacct left-justifies the job id and right-justifies everything else.
        out += (fields[i].name == "JobID" || fields[i].name == "JobIDRaw") ? v + pad : pad + v;
        out += ' ';
      } else {
        if (i > 0) out += '|';
        out += values[i];
      }
    }
    if (layout == AcctLayout::kParsable) out += '|';
    out += '\n';
  };
  if (header) {
    std::vector<std::string> names;
    for (const auto& f : fields) names.push_back(f.name);
    line(names);
    if (layout == AcctLayout::kTable) {
      std::vector<std::string> dashes;
      for (const auto& f : fields) dashes.push_back(std::string(static_cast<size_t>(f.width), '-'));
      line(dashes);
    }
  }
  for (const auto& r : rows) line(r);
  return out;
}

Result<int64_t> ParseAcctTime(const std::string& text, int64_t now) {
  const time_t t_now = static_cast<time_t>(now);
  struct tm today;
  localtime_r(&t_now, &today);
  auto at = [&](int y, int mo, int d, int h, int mi, int s) {
    struct tm tm = {};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    return static_cast<int64_t>(mktime(&tm));
  };
  const std::string lower = Lower(text);
  if (lower == "now") return now;
  if (lower == "midnight" || lower == "today") {
    return at(today.tm_year + 1900, today.tm_mon + 1, today.tm_mday, 0, 0, 0);
  }
  if (lower == "tomorrow") return at(today.tm_year + 1900, today.tm_mon + 1, today.tm_mday + 1, 0, 0, 0);
  if (lower.rfind("now-", 0) == 0 || lower.rfind("now+", 0) == 0) {
    const std::string kForms = ": use now+N or now-N with an optional unit seconds, minutes, hours, days or weeks";
    size_t used = 0;
    long long n = 0;
    try {
      n = std::stoll(lower.substr(4), &used);
    } catch (const std::exception&) {
      return Status::InvalidArgument("invalid time \"" + text + "\"" + kForms);
    }
    if (lower[4] == '-' || lower[4] == '+' || n < 0) return Status::InvalidArgument("invalid time \"" + text + "\"" + kForms);
    const std::string unit = lower.substr(4 + used);
    int64_t mult = 1;
    if (unit.empty() || unit.rfind("sec", 0) == 0) mult = 1;
    else if (unit.rfind("min", 0) == 0) mult = 60;
    else if (unit.rfind("hour", 0) == 0) mult = 3600;
    else if (unit.rfind("day", 0) == 0) mult = 86400;
    else if (unit.rfind("week", 0) == 0) mult = 604800;
    else return Status::InvalidArgument("invalid time unit in \"" + text + "\"" + kForms);
    return lower[3] == '-' ? now - n * mult : now + n * mult;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail = 0;
  if (sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d%c", &y, &mo, &d, &h, &mi, &s, &tail) == 6 ||
      sscanf(text.c_str(), "%d-%d-%dT%d:%d%c", &y, &mo, &d, &h, &mi, &tail) == 5 ||
      sscanf(text.c_str(), "%d-%d-%d%c", &y, &mo, &d, &tail) == 3) {
    return at(y, mo, d, h, mi, s);
  }
  h = mi = s = 0;
  if (sscanf(text.c_str(), "%d:%d:%d%c", &h, &mi, &s, &tail) == 3 ||
      sscanf(text.c_str(), "%d:%d%c", &h, &mi, &tail) == 2) {
    return at(today.tm_year + 1900, today.tm_mon + 1, today.tm_mday, h, mi, s);
  }
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) return std::stoll(text);
  return Status::InvalidArgument("invalid time \"" + text +
                                 "\": use YYYY-MM-DD[THH:MM[:SS]], HH:MM[:SS], now[{+|-}N[seconds|minutes|hours|days|weeks]], "
                                 "midnight, today, tomorrow or Unix seconds");
}

Result<int64_t> ParseBeginTime(const std::string& text, int64_t now) {
  auto t = ParseAcctTime(text, now);
  if (!t.ok()) return t;
  const bool time_of_day = text.find(':') != std::string::npos && text.find('-') == std::string::npos;
  if (time_of_day && *t < now) return *t + 86400;
  return t;
}

std::vector<TableColumn> AcctTableColumns(const std::vector<AcctField>& fields) {
  std::vector<TableColumn> columns;
  for (const auto& f : fields) {
    TableColumn c;
    c.header = f.name;
    c.right = Among(f.name, {"JobIdRaw", "AllocCPUS", "ReqCPUS", "ReqNodes", "NNodes", "ElapsedRaw", "Restarts",
                             "Priority", "MaxRSS", "ReqMem", "UID", "GID"});
    c.shrink = Among(f.name, {"JobName", "NodeList", "Reason", "WorkDir", "Comment", "Account", "Partition",
                              "User", "Cluster", "QOS", "AllocNodes"});
    c.min_width = 6;
    // Too narrow even with names cut: these go first, in this order.
    static const std::pair<const char*, int> kDrop[] = {{"Account", 6}, {"Partition", 5}, {"AllocCPUS", 4},
                                                        {"QOS", 3}, {"Cluster", 3}, {"NodeList", 2}, {"JobName", 1}};
    for (const auto& [name, drop] : kDrop) {
      if (f.name == name) c.drop = drop;
    }
    columns.push_back(c);
  }
  return columns;
}

}  // namespace drover::cli
