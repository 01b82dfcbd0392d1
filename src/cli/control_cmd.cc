// scontrol and drover control: show jobs, nodes, partitions and hostlists; hold, release and
// requeue jobs; change a pending job's time limit and partition.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <ctime>
#include <iostream>
#include <map>
#include <set>

#include "cli/empty_values.h"
#include "cli/cli_util.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/job_fields.h"
#include "cli/job_update.h"
#include "cli/node_update.h"
#include "cli/queue_table.h"
#include "cli/show_tables.h"
#include "cli/terminal.h"
#include "cli/exit_codes.h"
#include "cli/usage.h"
#include "cli/time_text.h"
#include "common/hostlist.h"
#include "common/units.h"
#include "common/text.h"

namespace drover::cli {
namespace {

// The numeric id of element `index` of array `array_id` (CONTRACT.md §8.4 "12_7"): the
// controller knows it once the element has started; a not-started element has no id yet.
// With `pending_as_array`, a not-started element resolves to kPendingRecord: its array's pending
// record (what `scontrol show job 12_7` shows in Slurm), whose id is the array's; without it the
// element is refused. (A started element can have the array's id too: the last one takes it.)
constexpr uint64_t kPendingRecord = 0;
Result<uint64_t> ResolveElement(ControllerClient& client, uint64_t array_id, uint64_t index, bool pending_as_array) {
  v1::Body body;
  body.mutable_query_jobs()->set_include_finished(true);
  body.mutable_query_jobs()->add_job_ids(array_id);
  auto reply = client.Call(body);
  if (!reply.ok()) return reply.status();
  auto jobs = reply->query_jobs_response().jobs();
  if (jobs.empty()) {  // gone from the controller's memory: accounting still has it
    v1::Body acct;
    acct.mutable_query_acct()->add_job_ids(array_id);
    auto from_store = client.Call(acct);
    if (from_store.ok()) jobs = from_store->query_acct_response().jobs();
  }
  const std::string text = std::to_string(array_id) + "_" + std::to_string(index);
  for (const auto& j : jobs) {
    if (j.array_job_id() == array_id && j.array_pending().empty() && j.array_task_id() == index) return j.job_id();
  }
  for (const auto& j : jobs) {
    if (PendingRecordHas(j, array_id, index)) {
      if (pending_as_array) return kPendingRecord;
      return Status::InvalidArgument("element " + text + " has not started yet: act on the whole array " +
                                     std::to_string(array_id) + " (its pending elements are " +
                                     JobIdText(j) + ")");
    }
  }
  return Status::NotFound("Invalid job id specified: " + text);
}

// What `scontrol show job` keeps of an array named only by its elements ("12_7", not "12"): the
// started elements named, and its pending record if a not-started element was named.
struct ShownElements {
  std::set<uint64_t> arrays;            // named by an element only
  std::set<uint64_t> pending_arrays;    // named by a not-started element
  std::set<uint64_t> started_elements;  // ids of the started elements named
  bool LeftOut(const v1::JobInfo& j) const {
    if (!arrays.count(j.array_job_id())) return false;
    return j.array_pending().empty() ? !started_elements.count(j.job_id()) : !pending_arrays.count(j.array_job_id());
  }
};

// "12", "12,13", "12_7" (an array element, resolved through `client`). With `shown`, a
// not-started element resolves to its array's pending record (and `shown` says what to show);
// without it such an element is refused.
Result<std::vector<uint64_t>> ParseIds(const std::vector<std::string>& words, ControllerClient& client,
                                       ShownElements* shown = nullptr) {
  std::vector<uint64_t> ids;
  std::set<uint64_t> plain;  // "12" as itself: the whole array, whatever else names one element
  std::set<uint64_t> started;  // ids of started elements named as "12_7"
  for (const auto& w : words) {
    std::string item;
    for (size_t i = 0; i <= w.size(); ++i) {
      if (i == w.size() || w[i] == ',') {
        if (!item.empty()) {
          try {
            size_t used = 0;
            const uint64_t id = std::stoull(item, &used);
            if (used < item.size() && item[used] == '_') {
              size_t index_used = 0;
              const std::string index = item.substr(used + 1);
              const uint64_t task = std::stoull(index, &index_used);
              if (index_used != index.size() || !std::isdigit(static_cast<unsigned char>(index[0]))) {
                throw std::invalid_argument(item);
              }
              auto element = ResolveElement(client, id, task, shown != nullptr);
              if (!element.ok()) return element.status();
              if (shown != nullptr) shown->arrays.insert(id);
              if (*element == kPendingRecord) {
                shown->pending_arrays.insert(id);
                if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
              } else {
                ids.push_back(*element);
                started.insert(*element);
              }
            } else {
              if (used != item.size()) throw std::invalid_argument(item);
              plain.insert(id);
              ids.push_back(id);
            }
          } catch (const std::exception&) {
            return Status::InvalidArgument("Invalid job id specified: " + item + " (use N, N,M or ARRAY_INDEX)");
          }
        }
        item.clear();
      } else {
        item += w[i];
      }
    }
  }
  if (ids.empty()) return Status::InvalidArgument("no job id given");
  if (shown != nullptr) {
    for (uint64_t id : plain) shown->arrays.erase(id);
    shown->started_elements = std::move(started);
  }
  return ids;
}

// "12,13_[1,3]" "14" -> "12" "13_[1,3]" "14": commas inside brackets belong to the array form.
std::vector<std::string> SplitJobIdList(const std::vector<std::string>& words) {
  std::vector<std::string> items;
  for (const auto& w : words) {
    std::string item;
    int depth = 0;
    for (char c : w) {
      if (c == ',' && depth == 0) {
        if (!item.empty()) items.push_back(item);
        item.clear();
        continue;
      }
      depth += c == '[' ? 1 : c == ']' ? -1 : 0;
      item += c;
    }
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// Slurm's Key=Value layout; `one_line` joins the groups with spaces instead of new lines.
// What scontrol shows of a job that the JobInfo does not carry: its priority (pending jobs, from
// the controller's last pass) and the cluster's requeue default.
struct ShowContext {
  std::map<uint64_t, int64_t> priority;
  bool job_requeue = false;
};

std::string ShowJob(const v1::JobInfo& j, bool one_line, bool details, const ShowContext& ctx) {
  const int64_t now = time(nullptr);
  // A held job's priority is 0, as in Slurm; a job that no longer waits keeps no number here.
  std::string priority = "1";
  if (j.state() == v1::JOB_STATE_PENDING) {
    auto it = ctx.priority.find(j.job_id());
    if (j.held()) {
      priority = "0";
    } else if (it != ctx.priority.end()) {
      priority = std::to_string(std::max<int64_t>(it->second, 0));
    }
  }
  const bool requeue = j.spec().requeue() == v1::REQUEUE_POLICY_YES ||
                       (j.spec().requeue() == v1::REQUEUE_POLICY_DEFAULT && ctx.job_requeue);
  std::vector<std::vector<std::string>> groups = {
      {"JobId=" + std::to_string(j.job_id()), "JobName=" + j.spec().name()},
      {"UserId=" + j.user() + "(" + std::to_string(j.uid()) + ")", "GroupId=" + std::to_string(j.gid()),
       "MCS_label=N/A"},
      {"Priority=" + priority, "Nice=" + std::to_string(j.spec().nice()), "Account=" + (j.spec().account().empty() ? std::string("(null)") : j.spec().account()),
       "QOS=normal"},
      {"JobState=" + SqueueField(j, 'T', now), "Reason=" + j.reason(),
       "Dependency=" + (j.spec().dependency().empty() ? std::string("(null)") : j.spec().dependency())},
      {std::string("Requeue=") + (requeue ? "1" : "0"), "Restarts=" + std::to_string(j.requeue_count()), "BatchFlag=1", "Reboot=0",
       "ExitCode=" + std::to_string(j.exit_code()) + ":" + std::to_string(j.exit_signal())},
      {"RunTime=" + SqueueField(j, 'M', now), "TimeLimit=" + SqueueField(j, 'l', now), "TimeMin=N/A"},
      {"SubmitTime=" + FormatTimestamp(j.submit_time()), "EligibleTime=" + FormatTimestamp(std::max(j.submit_time(), j.spec().begin_time()))},
      {"StartTime=" + (j.start_time() ? FormatTimestamp(j.start_time()) : "Unknown"),
       "EndTime=" + (j.end_time() ? FormatTimestamp(j.end_time()) : "Unknown")},
      {"Partition=" + j.partition(), "AllocNode:Sid=" + j.spec().submit_host() + ":0"},
      {"NodeList=" + (j.node_list().empty() ? std::string("(null)") : j.node_list()),
       "BatchHost=" + (j.allocation_size() ? j.allocation(0).node() : std::string("(null)"))},
      {"NumNodes=" + SqueueField(j, 'D', now), "NumCPUs=" + std::to_string(j.cpus()),
       "NumTasks=" + std::to_string(j.spec().ntasks() ? j.spec().ntasks() : 1),
       "CPUs/Task=" + std::to_string(j.spec().cpus_per_task() ? j.spec().cpus_per_task() : 1)},
  };
  if (j.array_job_id()) {
    // Slurm: "JobId=11 ArrayJobId=9 ArrayTaskId=2 JobName=...", ArrayTaskId=3-5 for the rest.
    groups[0].insert(groups[0].begin() + 1, "ArrayJobId=" + std::to_string(j.array_job_id()));
    groups[0].insert(groups[0].begin() + 2, "ArrayTaskId=" + (j.array_pending().empty() ? std::to_string(j.array_task_id())
                                                                                         : j.array_pending()));
  }
  if (details) {
    for (const auto& a : j.allocation()) {
      std::vector<std::string> ids;
      for (uint32_t id : a.core_ids()) ids.push_back("c" + std::to_string(id));
      // "c4,c5" compresses like host names: c[4-5]; printed as Slurm does, "4-5".
      std::string cpu_ids = CompressHostlist(ids);
      cpu_ids.erase(std::remove(cpu_ids.begin(), cpu_ids.end(), 'c'), cpu_ids.end());
      cpu_ids.erase(std::remove(cpu_ids.begin(), cpu_ids.end(), '['), cpu_ids.end());
      cpu_ids.erase(std::remove(cpu_ids.begin(), cpu_ids.end(), ']'), cpu_ids.end());
      groups.push_back({"Nodes=" + a.node(), "CPU_IDs=" + cpu_ids, "Mem=" + std::to_string(a.memory_mb()),
                        "GRES="});
    }
  }
  groups.push_back({"WorkDir=" + j.spec().work_dir()});
  groups.push_back({"StdOut=" + (j.spec().stdout_pattern().empty() ? "slurm-%j.out" : j.spec().stdout_pattern())});
  std::string out;
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t i = 0; i < groups[g].size(); ++i) {
      if (g > 0 || i > 0) out += (one_line || i > 0) ? " " : "\n   ";
      out += groups[g][i];
    }
  }
  return out + "\n";
}

// "big:2/4,little:4/4": free/total cores per kind, fastest first.
std::string KindsText(const v1::NodeInfo& n) {
  std::string out;
  for (const auto& k : n.kinds()) {
    out += (out.empty() ? "" : ",") + k.kind() + ":" + std::to_string(k.free()) + "/" + std::to_string(k.total());
  }
  return out.empty() ? "(null)" : out;
}

std::string ShowNode(const v1::NodeInfo& n, bool one_line) {
  static const std::map<int, std::string> kStates = {{v1::NODE_STATE_IDLE, "IDLE"}, {v1::NODE_STATE_MIXED, "MIXED"},
                                                     {v1::NODE_STATE_ALLOCATED, "ALLOCATED"},
                                                     {v1::NODE_STATE_DOWN, "DOWN"}, {v1::NODE_STATE_UNKNOWN, "UNKNOWN"},
                                                     {v1::NODE_STATE_DRAINING, "MIXED+DRAIN"},
                                                     {v1::NODE_STATE_DRAINED, "IDLE+DRAIN"},
                                                     {v1::NODE_STATE_INVALID, "INVALID+DRAIN"}};
  std::string partitions;
  for (const auto& p : n.partitions()) partitions += (partitions.empty() ? "" : ",") + p;
  const std::string sep = one_line ? " " : "\n   ";
  const std::string& state = kStates.at(n.state());
  return "NodeName=" + n.name() + " State=" + state + sep + "CPUAlloc=" +
         std::to_string(n.alloc_cpus()) + " CPUTot=" + std::to_string(n.cpus()) + sep +
         "RealMemory=" + std::to_string(n.memory_mb()) + " AllocMem=" + std::to_string(n.alloc_memory_mb()) +
         " FreeMem=" + std::to_string(n.free_memory_mb()) + sep + "CoreKinds=" + KindsText(n) + sep +
         (n.hardware().empty() ? "" : "Hardware=" + n.hardware() + sep) +
         "NodeAddr=" + n.address() + " Cgroups=" + (n.cgroups().empty() ? std::string("(null)") : n.cgroups()) +
         " Partitions=" + partitions + (n.reason().empty() ? "" : sep + "Reason=" + n.reason()) + "\n";
}

int ShowCommand(const std::string& prog, const std::vector<std::string>& what, bool one_line, bool details,
                bool json, const std::optional<std::string>& config) {
  if (what.empty()) {
    return ReportError(prog, Status::InvalidArgument("show what? job, node, partition, config, hostnames, hostlist"));
  }
  const std::string entity = what[0];
  const std::vector<std::string> rest(what.begin() + 1, what.end());
  if (entity == "hostnames") {
    std::string expr = rest.empty() ? (getenv("SLURM_JOB_NODELIST") ? getenv("SLURM_JOB_NODELIST") : "") : rest[0];
    auto names = ExpandHostlist(expr);
    if (!names.ok()) return ReportError(prog, names.status());
    for (const auto& n : *names) std::cout << n << "\n";
    return 0;
  }
  if (entity == "hostlist" || entity == "hostlistsorted") {
    if (rest.empty()) return ReportError(prog, Status::InvalidArgument("show hostlist needs a list of host names"));
    std::vector<std::string> all;
    for (const auto& r : rest) {
      auto names = ExpandHostlist(r);
      if (!names.ok()) return ReportError(prog, names.status());
      all.insert(all.end(), names->begin(), names->end());
    }
    if (entity == "hostlistsorted") std::sort(all.begin(), all.end());
    std::cout << CompressHostlist(all) << "\n";
    return 0;
  }
  auto client = ControllerClient::Connect(config);
  if (!client.ok()) return ReportError(prog, client.status());
  if (entity == "config") {
    // The configuration this command read (the one the daemons read on this host), in Slurm's
    // "Name = Value" layout.
    const Config& c = (*client)->config();
    auto line = [](const std::string& key, const std::string& value) {
      std::string k = key;
      if (k.size() < 23) k += std::string(23 - k.size(), ' ');
      std::cout << k << " = " << value << "\n";
    };
    auto join = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
      return out.empty() ? std::string("(null)") : out;
    };
    std::cout << "Configuration data as of " << FormatTimestamp(time(nullptr)) << "\n";
    line("ClusterName", c.cluster_name);
    line("ConfigFile", c.path);
    line("ConfigHash", c.content_hash);
    line("ControlMachine", c.controller_host);
    line("ControlAddr", c.controller_address.empty() ? c.controller_host : c.controller_address);
    line("ControllerPort", std::to_string(c.controller_port));
    line("Operators", join(c.operators));
    line("PrivateData", c.private_jobs ? "jobs" : "none");
    line("StateSaveLocation", c.state_dir);
    line("SlurmdSpoolDir", c.spool_dir);
    line("DefMemPerCPU", std::to_string(c.default_mem_per_cpu_mb));
    line("MinJobAge", std::to_string(c.min_job_age_s) + " sec");
    line("KillWait", std::to_string(c.kill_wait_s) + " sec");
    line("SlurmdTimeout", std::to_string(c.node_timeout_s) + " sec");
    line("HeartbeatInterval", std::to_string(c.heartbeat_interval_s) + " sec");
    line("Prolog", c.prolog.empty() ? "(null)" : c.prolog);
    line("Epilog", c.epilog.empty() ? "(null)" : c.epilog);
    line("PrologEpilogTimeout", std::to_string(c.prolog_timeout_s) + " sec");
    line("ProctrackType", c.cgroups_enabled ? "proctrack/cgroup" : "proctrack/linuxproc");
    line("SchedulerType", c.backfill ? "sched/backfill" : "sched/builtin");
    line("PriorityWeightAge", std::to_string(c.priority_weight_age));
    line("PriorityWeightFairshare", std::to_string(c.priority_weight_fairshare));
    line("PriorityWeightJobSize", std::to_string(c.priority_weight_job_size));
    line("PriorityWeightPartition", std::to_string(c.priority_weight_partition));
    return 0;
  }
  if (entity == "job" || entity == "jobs" || entity == "jobid") {
    v1::Body body;
    auto* q = body.mutable_query_jobs();
    q->set_include_finished(true);
    q->set_with_priorities(true);  // Priority=; --json prints them (docs/user-guide.md)
    std::vector<uint64_t> ids;
    ShownElements shown;
    if (!rest.empty()) {
      auto parsed = ParseIds(rest, **client, &shown);
      if (!parsed.ok()) return ReportError(prog, parsed.status());
      ids = *parsed;
      for (uint64_t id : ids) q->add_job_ids(id);
    }
    auto reply = (*client)->Call(body);
    if (!reply.ok()) return ReportError(prog, reply.status());
    auto jobs = reply->query_jobs_response().jobs();
    if (!ids.empty() && jobs.size() < static_cast<int>(ids.size())) {
      // Jobs that left the controller's memory are still in accounting: show them from there.
      v1::Body acct;
      for (uint64_t id : ids) acct.mutable_query_acct()->add_job_ids(id);
      auto from_store = (*client)->Call(acct);
      if (from_store.ok()) jobs = from_store->query_acct_response().jobs();
    }
    if (!shown.arrays.empty()) {
      google::protobuf::RepeatedPtrField<v1::JobInfo> kept;
      for (auto& j : jobs) {
        if (!shown.LeftOut(j)) *kept.Add() = std::move(j);
      }
      jobs = std::move(kept);
    }
    if (jobs.empty()) {
      std::cerr << "slurm_load_jobs error: Invalid job id specified\n";
      return IsNative(prog) ? kExitNotFound : 1;
    }
    if (json) {
      v1::QueryJobsResponse out;
      *out.mutable_jobs() = jobs;
      for (const auto& p : reply->query_jobs_response().priorities()) {
        const bool shown_job = std::any_of(jobs.begin(), jobs.end(), [&](const v1::JobInfo& j) { return j.job_id() == p.job_id(); });
        if (shown_job) *out.add_priorities() = p;
      }
      std::cout << ToJson(out);
      return 0;
    }
    if (IsNative(prog) && ids.empty() && !one_line) {
      // drover control show job: every job as a row of drover queue's table.
      v1::QueryJobsResponse all;
      *all.mutable_jobs() = jobs;
      std::cout << QueueTable(all, OutputWidth(STDOUT_FILENO), true, false);
      return 0;
    }
    ShowContext ctx;
    ctx.job_requeue = (*client)->config().job_requeue;
    for (const auto& p : reply->query_jobs_response().priorities()) ctx.priority[p.job_id()] = p.priority();
    bool first = true;
    for (const auto& j : jobs) {
      if (!first && !one_line) std::cout << "\n";
      std::cout << ShowJob(j, one_line, details, ctx);
      first = false;
    }
    return 0;
  }
  if (entity == "node" || entity == "nodes" || entity == "partition" || entity == "partitions") {
    v1::Body body;
    body.mutable_query_nodes();
    auto reply = (*client)->Call(body);
    if (!reply.ok()) return ReportError(prog, reply.status());
    const auto& r = reply->query_nodes_response();
    const std::string name = rest.empty() ? "" : rest[0];
    bool found = false;
    if (json) {
      // The same fields as drover info --json, only the nodes or partitions asked for.
      v1::QueryNodesResponse out;
      out.set_cluster_name(r.cluster_name());
      for (const auto& n : r.nodes()) {
        if (entity[0] == 'n' && (name.empty() || n.name() == name)) *out.add_nodes() = n;
      }
      for (const auto& p : r.partitions()) {
        if (entity[0] == 'p' && (name.empty() || p.name() == name)) *out.add_partitions() = p;
      }
      if (out.nodes_size() + out.partitions_size() == 0) {
        return ReportError(prog, Status::NotFound(entity + " " + name + " not found"));
      }
      std::cout << ToJson(out);
      return 0;
    }
    if (IsNative(prog) && name.empty() && !one_line) {
      // drover control show node|partition: every one as a table row, fitted to the terminal.
      std::cout << (entity[0] == 'n' ? NodeTable(r, OutputWidth(STDOUT_FILENO), true)
                                     : PartitionTable(r, OutputWidth(STDOUT_FILENO), true));
      return 0;
    }
    if (entity[0] == 'n') {
      for (const auto& n : r.nodes()) {
        if (!name.empty() && n.name() != name) continue;
        std::cout << ShowNode(n, one_line) << (one_line ? "" : "\n");
        found = true;
      }
    } else {
      for (const auto& p : r.partitions()) {
        if (!name.empty() && p.name() != name) continue;
        std::vector<std::string> nodes(p.nodes().begin(), p.nodes().end());
        const std::string sep = one_line ? " " : "\n   ";
        const auto list = [](const google::protobuf::RepeatedPtrField<std::string>& v) {
          std::string out;
          for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
          return out.empty() ? std::string("ALL") : out;
        };
        const std::string limit = p.max_time_minutes() ? FormatTimeLimit(p.max_time_minutes()) : "UNLIMITED";
        std::cout << "PartitionName=" << p.name() << sep << "AllowGroups=" << list(p.access().allow_groups())
                  << " AllowUsers=" << list(p.access().allow_users()) << sep
                  << "Default=" << (p.is_default() ? "YES" : "NO") << sep
                  << "DefaultTime=" << (p.default_time_minutes() ? FormatTimeLimit(p.default_time_minutes()) : "NONE")
                  << sep << "MaxNodes=" << (p.max_nodes() ? std::to_string(p.max_nodes()) : "UNLIMITED")
                  << " MaxTime=" << limit << sep << "PriorityTier=" << p.priority_tier() << sep
                  << "Nodes=" << CompressHostlist(nodes) << sep
                  << "State=" << PartitionStateText(p) << " TotalNodes=" << nodes.size() << "\n"
                  << (one_line ? "" : "\n");
        found = true;
      }
    }
    if (!found) return ReportError(prog, Status::NotFound(entity + " " + name + " not found"));
    return 0;
  }
  return ReportError(prog, Status::InvalidArgument("cannot show '" + entity + "': use job, node, partition, config, hostnames or hostlist"));
}

// One line per refused item (naming its job when the items are jobs; a node's message names
// the node), and the exit code of the last refusal; 0 when every item went through.
int ReportItems(const std::string& prog, const google::protobuf::RepeatedPtrField<v1::CancelResult>& results,
                bool jobs) {
  int rc = 0;
  for (const auto& r : results) {
    if (r.code() == v1::ERROR_CODE_UNSPECIFIED) continue;
    std::cerr << prog << ": error: ";
    if (jobs) std::cerr << "job " << (r.job_id_text().empty() ? std::to_string(r.job_id()) : r.job_id_text()) << ": ";
    std::cerr << r.message() << "\n";
    rc = ItemExitCode(prog, r.code());
  }
  return rc;
}

// The job ids of a request (hold, release, requeue, update) from SplitJobIdList's items: array
// forms ("12_7", "12_[1-3]") go as text, for the controller splits a not-started element off its
// array; plain ids are parsed ("Invalid job id specified" for a bad one).
Status AddJobIds(const std::vector<std::string>& items, ControllerClient& client,
                 google::protobuf::RepeatedField<uint64_t>* ids,
                 google::protobuf::RepeatedPtrField<std::string>* texts) {
  std::vector<std::string> plain;
  for (const auto& item : items) {
    if (item.find('_') != std::string::npos) {
      texts->Add(std::string(item));
    } else {
      plain.push_back(item);
    }
  }
  if (plain.empty()) return Status::Ok();
  auto parsed = ParseIds(plain, client);
  if (!parsed.ok()) return parsed.status();
  for (uint64_t id : *parsed) ids->Add(id);
  return Status::Ok();
}

int JobAction(const std::string& prog, v1::ControlAction action, const std::vector<std::string>& words,
              const std::optional<std::string>& config) {
  auto client = ControllerClient::Connect(config);
  if (!client.ok()) return ReportError(prog, client.status());
  v1::Body body;
  body.mutable_control_job()->set_action(action);
  const auto items = SplitJobIdList(words);
  if (items.empty()) return ReportError(prog, Status::InvalidArgument("no job id given"));
  Status added = AddJobIds(items, **client, body.mutable_control_job()->mutable_job_ids(),
                           body.mutable_control_job()->mutable_job_id_texts());
  if (!added.ok()) return ReportError(prog, added);
  auto reply = (*client)->Call(body);
  if (!reply.ok()) return ReportError(prog, reply.status());
  return ReportItems(prog, reply->control_job_response().results(), true);
}

// One request to the controller over a connection made for it: its answer, or why none came.
Result<v1::Body> CallController(const std::optional<std::string>& config, const v1::Body& body) {
  auto client = ControllerClient::Connect(config);
  if (!client.ok()) return client.status();
  return (*client)->Call(body);
}

int NodeAction(const std::string& prog, const Result<v1::UpdateNodeRequest>& request,
               const std::optional<std::string>& config) {
  if (!request.ok()) return ReportError(prog, request.status());
  v1::Body body;
  *body.mutable_update_node() = *request;
  auto reply = CallController(config, body);
  if (!reply.ok()) return ReportError(prog, reply.status());
  return ReportItems(prog, reply->update_node_response().results(), false);
}

int PartitionUpdateAction(const std::string& prog, const Result<v1::UpdatePartitionRequest>& request,
                          const std::optional<std::string>& config) {
  if (!request.ok()) return ReportError(prog, request.status());
  v1::Body body;
  *body.mutable_update_partition() = *request;
  auto reply = CallController(config, body);
  return reply.ok() ? 0 : ReportError(prog, reply.status());
}

int JobUpdateAction(const std::string& prog, const std::vector<std::string>& words,
                    const std::optional<std::string>& config) {
  auto update = ParseJobUpdate(words);
  if (!update.ok()) return ReportError(prog, update.status());
  auto client = ControllerClient::Connect(config);
  if (!client.ok()) return ReportError(prog, client.status());
  v1::Body body;
  *body.mutable_update_job() = update->request;
  Status added = AddJobIds(SplitJobIdList(update->ids), **client, body.mutable_update_job()->mutable_job_ids(),
                           body.mutable_update_job()->mutable_job_id_texts());
  if (!added.ok()) return ReportError(prog, added);
  if (body.update_job().job_ids().empty() && body.update_job().job_id_texts().empty()) {
    return ReportError(prog, Status::InvalidArgument("no job id given"));
  }
  auto reply = (*client)->Call(body);
  if (!reply.ok()) return ReportError(prog, reply.status());
  return ReportItems(prog, reply->update_job_response().results(), true);
}

// scontrol reconfigure: the controller re-reads its configuration and asks every node to.
int ReconfigureAction(const std::string& prog, const std::optional<std::string>& config) {
  auto client = ControllerClient::Connect(config);
  if (!client.ok()) return ReportError(prog, client.status());
  v1::Body body;
  body.mutable_reconfigure();
  auto reply = (*client)->Call(body);
  if (!reply.ok()) return ReportError(prog, reply.status());
  // scontrol prints nothing, as Slurm's; the native command says what changed.
  if (prog != "scontrol") {
    const auto& r = reply->reconfigure_response();
    if (r.changed().empty()) std::cout << "reconfigured: nothing in the controller's settings changed\n";
    for (const auto& c : r.changed()) std::cout << "reconfigured: " << c << "\n";
    if (!r.nodes().empty()) std::cout << "asked to reload: " << r.nodes().size() << " node daemons\n";
  }
  return 0;
}

int Run(const std::string& prog, const Args& args) {
  CLI::App app{prog + ": show and change jobs, nodes and partitions\n\n"
               "  show job [ID] | show node [NAME] | show partition [NAME] | show config\n"
               "  show hostnames [LIST] | show hostlist NAMES\n"
               "  hold ID... | release ID... | requeue ID... | requeuehold ID...\n"
               "  update NodeName=LIST State=DRAIN|RESUME|DOWN [Reason=TEXT]\n"
               "  update PartitionName=NAME State=UP|DOWN|DRAIN|INACTIVE   (until the next reconfigure)\n"
               "  update JobId=ID [TimeLimit=TIME] [Partition=NAME]   (Partition: pending jobs only)\n"
               "  update JobId=ID TimeLimit+=TIME | TimeLimit-=TIME   (also TimeLimit=+TIME, =-TIME)\n"
               "  reconfigure   (root and operators: every daemon re-reads drover.yaml)\n"
               "  drain LIST REASON... | resume LIST | down LIST REASON...", prog};
  app.set_help_flag("--help", "print this help");
  bool one_line = false, json = false;
  int details = 0;
  std::optional<std::string> config;
  std::vector<std::string> words;
  app.add_flag("-o,--oneliner", one_line, "one line per record");
  app.add_flag("-d,--details", details, "more details (-dd: even more)");
  app.add_flag("--json", json, "show: print JSON (the fields of drover queue --json / drover info --json)");
  app.add_option("--config", config, "drover configuration file");
  app.add_option("command", words, "the command and its arguments");
  app.allow_extras(false);
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return UsageError(app, prog, e);
    std::cerr << prog << ": error: " << e.what() << "\n";
    return UsageExit(prog);
  }
  // Options may also follow the command (scontrol show jobid -dd 5).
  std::vector<std::string> cmd;
  for (const auto& w : words) {
    if (w == "-o" || w == "--oneliner") one_line = true;
    else if (w == "-d" || w == "--details") details += 1;
    else if (w == "-dd") details += 2;
    else if (w == "--json") json = true;
    else cmd.push_back(w);
  }
  if (cmd.empty()) {
    std::cerr << app.help();
    return 1;
  }
  const std::string verb = AsciiLower(cmd[0]);
  const std::vector<std::string> rest(cmd.begin() + 1, cmd.end());
  if (verb == "show") return ShowCommand(prog, rest, one_line, details > 0, json, config);
  if (verb == "hold" || verb == "uhold") return JobAction(prog, v1::CONTROL_ACTION_HOLD, rest, config);
  if (verb == "release") return JobAction(prog, v1::CONTROL_ACTION_RELEASE, rest, config);
  if (verb == "requeue") return JobAction(prog, v1::CONTROL_ACTION_REQUEUE, rest, config);
  if (verb == "requeuehold") return JobAction(prog, v1::CONTROL_ACTION_REQUEUE_HOLD, rest, config);
  if (verb == "reconfigure") {
    if (!rest.empty()) return ReportError(prog, Status::InvalidArgument("reconfigure takes no arguments"));
    return ReconfigureAction(prog, config);
  }
  if (verb == "update") {
    if (IsJobUpdate(rest)) return JobUpdateAction(prog, rest, config);
    if (IsPartitionUpdate(rest)) return PartitionUpdateAction(prog, ParsePartitionUpdate(rest), config);
    return NodeAction(prog, ParseNodeUpdate(rest), config);
  }
  if (verb == "drain" || verb == "resume" || verb == "down") {
    return NodeAction(prog, ParseNodeVerb(verb, rest), config);
  }
  return ReportError(prog, Status::InvalidArgument("invalid command '" + cmd[0] + "'; see " + prog + " --help"));
}

}  // namespace

int RunScontrol(const Args& args) { return Run("scontrol", args); }
int RunControl(const Args& args) { return Run("drover control", args); }

}  // namespace drover::cli
