#include "ctld/authorization.h"
#include "ctld/controller.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/hostlist.h"
#include "common/units.h"
#include "ctld/job_table.h"
#include "ctld/reconfigure_plan.h"
#include "ctld/sched/priority.h"
#include "ctld/step_layout.h"
#include "ctld/topology_policy.h"

namespace drover::ctld {
namespace {

constexpr size_t kMaxScriptBytes = 4u << 20;
// Slurm's --nice range: +/- 2147483645.
constexpr int32_t kMaxNice = 2147483645;
constexpr size_t kMaxNameBytes = 200;
// How many elements of one array a pass offers the scheduler at most: enough to fill a
// cluster quickly, few enough that a 100,000-element array costs no more than a few jobs.
constexpr uint32_t kMaxElementsPerPass = 256;
// Scheduler-only ids for extra elements of an array in one pass; never a real job id.
constexpr uint64_t kSyntheticIdBase = uint64_t{1} << 62;
// How long the final state of a purged job still answers dependencies and `sacct -j ARRAY`.
constexpr int64_t kFinalStateMemorySeconds = 24 * 3600;
constexpr const char* kDependencyNeverSatisfied = "DependencyNeverSatisfied";
constexpr const char* kJobArrayTaskLimit = "JobArrayTaskLimit";

bool HasControlCharacters(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

v1::JobState ToProto(JobState s) {
  switch (s) {
    case JobState::kPending: return v1::JOB_STATE_PENDING;
    case JobState::kRunning: return v1::JOB_STATE_RUNNING;
    case JobState::kCompleted: return v1::JOB_STATE_COMPLETED;
    case JobState::kFailed: return v1::JOB_STATE_FAILED;
    case JobState::kCancelled: return v1::JOB_STATE_CANCELLED;
    case JobState::kTimeout: return v1::JOB_STATE_TIMEOUT;
    case JobState::kNodeFail: return v1::JOB_STATE_NODE_FAIL;
    case JobState::kOutOfMemory: return v1::JOB_STATE_OUT_OF_MEMORY;
  }
  return v1::JOB_STATE_UNSPECIFIED;
}

std::optional<JobState> FromProto(v1::JobState s) {
  switch (s) {
    case v1::JOB_STATE_PENDING: return JobState::kPending;
    case v1::JOB_STATE_RUNNING: return JobState::kRunning;
    case v1::JOB_STATE_COMPLETED: return JobState::kCompleted;
    case v1::JOB_STATE_FAILED: return JobState::kFailed;
    case v1::JOB_STATE_CANCELLED: return JobState::kCancelled;
    case v1::JOB_STATE_TIMEOUT: return JobState::kTimeout;
    case v1::JOB_STATE_NODE_FAIL: return JobState::kNodeFail;
    case v1::JOB_STATE_OUT_OF_MEMORY: return JobState::kOutOfMemory;
    default: return std::nullopt;
  }
}

v1::NodeState ToProto(NodeState s) {
  switch (s) {
    case NodeState::kUnknown: return v1::NODE_STATE_UNKNOWN;
    case NodeState::kIdle: return v1::NODE_STATE_IDLE;
    case NodeState::kMixed: return v1::NODE_STATE_MIXED;
    case NodeState::kAllocated: return v1::NODE_STATE_ALLOCATED;
    case NodeState::kDown: return v1::NODE_STATE_DOWN;
    case NodeState::kDraining: return v1::NODE_STATE_DRAINING;
    case NodeState::kDrained: return v1::NODE_STATE_DRAINED;
    case NodeState::kInvalid: return v1::NODE_STATE_INVALID;
  }
  return v1::NODE_STATE_UNSPECIFIED;
}

void ToProto(const sched::Allocation& a, v1::NodeAllocation* out) {
  out->set_node(a.node);
  out->set_cpus(static_cast<uint32_t>(a.core_ids.size()));
  out->set_memory_mb(a.memory_mb);
  out->set_tasks(a.tasks);
  for (uint32_t id : a.core_ids) out->add_core_ids(id);
}

// PartitionInfo.state: Slurm's words.
const char* PartitionStateWord(const PartitionConfig& p) {
  switch (p.state) {
    case PartitionState::kDrain: return "DRAIN";
    case PartitionState::kInactive: return "INACTIVE";
    case PartitionState::kDown: return "DOWN";
    case PartitionState::kUp: return p.up ? "UP" : "DOWN";
  }
  return "UP";
}

sched::PartitionState ToSchedState(const PartitionConfig& p) {
  switch (p.state) {
    case PartitionState::kDrain: return sched::PartitionState::kDrain;
    case PartitionState::kInactive: return sched::PartitionState::kInactive;
    case PartitionState::kDown: return sched::PartitionState::kDown;
    case PartitionState::kUp: return p.up ? sched::PartitionState::kUp : sched::PartitionState::kDown;
  }
  return sched::PartitionState::kUp;
}

// What the scheduler needs of a job. The --cpu-kind text was checked at submission.
sched::PendingJob ToPending(const JobRecord& job) {
  sched::PendingJob p;
  const auto& spec = job.spec;
  p.id = job.id;
  p.user = job.owner.user;
  p.uid = job.owner.uid;
  p.groups = job.owner.group_names;
  p.partition = job.partition;
  p.submit_time = job.submit_time;
  p.nice = spec.nice();
  p.min_nodes = std::max<uint32_t>(spec.min_nodes(), 1);
  p.max_nodes = spec.max_nodes();
  p.fewest_nodes = spec.min_nodes() == 0;  // the CLI's mark for "no -N"
  p.ntasks = spec.ntasks();
  p.cpus_per_task = std::max<uint32_t>(spec.cpus_per_task(), 1);
  p.ntasks_per_node = spec.ntasks_per_node();
  p.mem_per_node_mb = spec.mem_per_node_mb();
  p.mem_per_cpu_mb = spec.mem_per_cpu_mb();
  p.exclusive = spec.exclusive();
  p.nodelist.assign(spec.nodelist().begin(), spec.nodelist().end());
  p.exclude.assign(spec.exclude().begin(), spec.exclude().end());
  p.features.assign(spec.constraint().begin(), spec.constraint().end());
  auto kind = sched::ParseCpuKind(spec.cpu_kind());
  if (kind.ok()) p.cpu_kind = *kind;
  p.time_limit_minutes = job.time_limit_minutes;
  p.hold = !spec.hold() ? sched::Hold::kNone : job.held_by_admin ? sched::Hold::kAdmin : sched::Hold::kUser;
  p.begin_time = spec.begin_time();
  return p;
}

// Everything of a submission that sched::CheckFeasible weighs (ToPending's fields but the id,
// times, nice, hold and dependency), each field length-prefixed so that no two requests share a
// key.
std::string FeasibilityKey(const JobRecord& job) {
  std::string key;
  const auto add = [&key](const std::string& text) {
    key += std::to_string(text.size());
    key += ':';
    key += text;
  };
  const auto& spec = job.spec;
  add(job.partition);
  add(job.owner.user);
  key += std::to_string(job.owner.uid) + ";" + std::to_string(job.owner.group_names.size()) + ";";
  for (const auto& g : job.owner.group_names) add(g);
  for (uint64_t v : {uint64_t{spec.min_nodes()}, uint64_t{spec.max_nodes()}, uint64_t{spec.ntasks()},
                     uint64_t{spec.cpus_per_task()}, uint64_t{spec.ntasks_per_node()}, spec.mem_per_node_mb(),
                     spec.mem_per_cpu_mb(), uint64_t{spec.exclusive()}, uint64_t{job.time_limit_minutes}}) {
    key += std::to_string(v);
    key += ',';
  }
  add(spec.cpu_kind());
  for (const auto* list : {&spec.nodelist(), &spec.exclude(), &spec.constraint()}) {
    key += std::to_string(list->size()) + ";";
    for (const auto& item : *list) add(item);
  }
  return key;
}

uint32_t RequestedCpus(const v1::JobSpec& spec) {
  const uint32_t nodes = std::max<uint32_t>(spec.min_nodes(), 1);
  const uint32_t tasks = spec.ntasks() ? spec.ntasks()
                         : spec.ntasks_per_node() ? spec.ntasks_per_node() * nodes
                                                  : nodes;
  return tasks * std::max<uint32_t>(spec.cpus_per_task(), 1);
}

}  // namespace

NodeState NodeRecord::State() const {
  if (down || admin_down) return NodeState::kDown;
  if (!registered) return NodeState::kUnknown;
  // INVALID first: neither an operator's RESUME nor a noded restart lifts it, only hardware
  // that matches (or a changed entry or policy).
  if (invalid) return NodeState::kInvalid;
  if (drained || drain) return alloc_cpus == 0 ? NodeState::kDrained : NodeState::kDraining;
  if (alloc_cpus == 0) return NodeState::kIdle;
  if (alloc_cpus >= config.cpus) return NodeState::kAllocated;
  return NodeState::kMixed;
}

Controller::Controller(Config config, const Clock& clock)
    : config_(std::move(config)), clock_(clock), kinds_(config_.cpu_kinds) {
  for (const auto& n : config_.nodes) {
    NodeRecord r;
    r.config = n;
    r.reason = "Not registered yet";
    nodes_.emplace(n.name, std::move(r));
  }
}

Result<uint64_t> Controller::Submit(v1::JobSpec spec, const Identity& who) {
  if (who.uid == 0 && !config_.allow_root_jobs) {
    return Status::PermissionDenied(
        "jobs may not run as root on this cluster (scheduling.allow_root_jobs is false); submit "
        "as an ordinary user");
  }
  if (spec.script().empty() && !spec.interactive()) return Status::InvalidArgument("the batch script is empty");
  if (spec.script().size() > kMaxScriptBytes) {
    return Status::InvalidArgument("the batch script is " + std::to_string(spec.script().size()) +
                                   " bytes; the limit is " + std::to_string(kMaxScriptBytes));
  }
  if (spec.name().size() > kMaxNameBytes || HasControlCharacters(spec.name())) {
    return Status::InvalidArgument("invalid job name: at most " + std::to_string(kMaxNameBytes) +
                                   " characters, no control characters");
  }
  for (const auto* path : {&spec.work_dir(), &spec.stdout_pattern(), &spec.stderr_pattern()}) {
    if (HasControlCharacters(*path)) {
      return Status::InvalidArgument("paths may not contain control characters");
    }
  }
  if (spec.work_dir().empty() || spec.work_dir()[0] != '/') {
    return Status::InvalidArgument("the working directory must be an absolute path");
  }
  const PartitionConfig* part = spec.partition().empty() ? config_.DefaultPartition()
                                                         : config_.FindPartition(spec.partition());
  if (part == nullptr) {
    return Status::InvalidArgument(spec.partition().empty()
                                       ? "no partition given and the cluster has no default"
                                       : "invalid partition name specified: " + spec.partition());
  }
  if (spec.max_nodes() != 0 && spec.max_nodes() < spec.min_nodes()) {
    return Status::InvalidArgument("maximum node count is smaller than the minimum");
  }
  if (spec.mem_per_node_mb() != 0 && spec.mem_per_cpu_mb() != 0) {
    return Status::InvalidArgument("--mem and --mem-per-cpu are mutually exclusive");
  }
  // Slurm's range (NICE_OFFSET less a margin); a negative value lifts the job above everybody
  // else's, which only root and the operators may do.
  if (spec.nice() > kMaxNice || spec.nice() < -kMaxNice) {
    return Status::InvalidArgument("invalid --nice " + std::to_string(spec.nice()) + ": the range is -" +
                                   std::to_string(kMaxNice) + " to " + std::to_string(kMaxNice));
  }
  if (spec.nice() < 0 && !IsOperator(config_, who)) {
    return Status::PermissionDenied("a negative --nice is for root and the operators");
  }

  uint32_t limit = spec.time_limit_minutes();
  const uint32_t part_max = part->max_time_minutes ? part->max_time_minutes : kUnlimitedMinutes;
  if (limit == 0) limit = part->default_time_minutes ? part->default_time_minutes : part_max;
  if (part_max != kUnlimitedMinutes && limit > part_max) {
    return Status::InvalidArgument("requested time limit " + FormatTimeLimit(limit) +
                                   " exceeds the limit of partition " + part->name + " (" +
                                   FormatTimeLimit(part_max) + ")");
  }

  JobRecord job;
  job.id = next_job_id_;
  job.spec = std::move(spec);
  job.owner = who;
  job.partition = part->name;
  job.time_limit_minutes = limit;
  job.submit_time = Now();
  if (job.spec.hold()) job.reason = "JobHeldUser";

  if (auto kind = sched::ParseCpuKind(job.spec.cpu_kind()); !kind.ok()) return kind.status();
  DROVER_RETURN_IF_ERROR(ParseJobExtras(job));
  std::optional<TargetIndex> index;
  for (const auto& item : job.dependency.items) {
    if (item.type == DependencyType::kSingleton) continue;
    if (!index) index = BuildTargetIndex();
    if (index->Lookup(item).known) continue;
    return Status::InvalidArgument(
        "invalid dependency: job " + std::to_string(item.job_id) +
        (item.task_id ? "_" + std::to_string(*item.task_id) : "") + " is not known to this cluster");
  }
  if (job.IsArrayRemainder()) {
    job.array_job_id = job.id;
    if (job.spec.stdout_pattern().empty()) job.spec.set_stdout_pattern("slurm-%A_%a.out");
  }
  DROVER_RETURN_IF_ERROR(CheckFeasible(job));
  ++next_job_id_;
  job.durable = false;
  const uint64_t id = job.id;
  jobs_.emplace(id, std::move(job));
  MarkDirty(id);
  return id;
}

std::vector<v1::CancelResult> Controller::Cancel(const std::vector<uint64_t>& ids, int32_t signal,
                                                 const Identity& who,
                                                 std::vector<SignalAction>* actions,
                                                 const std::vector<std::string>& id_texts) {
  std::vector<v1::CancelResult> results;
  auto not_found = [](v1::CancelResult& r, const char* why) {
    r.set_code(v1::ERROR_CODE_NOT_FOUND);
    r.set_message(why);
  };
  // A whole job, or every element of an array (the array's own record carries its id).
  auto cancel_id = [&](uint64_t id, v1::CancelResult& r) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || !it->second.durable) return not_found(r, "invalid job id specified");
    JobRecord& job = it->second;
    if (job.array_job_id != id) {
      if (IsFinished(job.state)) return not_found(r, "job has already finished");
      return CancelOne(job, signal, who, r, actions);
    }
    bool any = false;
    for (auto& [eid, e] : jobs_) {
      if (e.array_job_id != id || IsFinished(e.state)) continue;
      // A signal goes to running elements only; the pending remainder has no process.
      if (signal != 0 && e.state == JobState::kPending) continue;
      any = true;
      v1::CancelResult one;
      CancelOne(e, signal, who, one, actions);
      if (one.code() != v1::ERROR_CODE_UNSPECIFIED && r.code() == v1::ERROR_CODE_UNSPECIFIED) {
        r.set_code(one.code());
        r.set_message(one.message());
      }
    }
    if (!any) not_found(r, signal ? "no element of the array is running" : "job has already finished");
  };
  for (uint64_t id : ids) {
    v1::CancelResult r;
    r.set_job_id(id);
    cancel_id(id, r);
    results.push_back(r);
  }
  NamedActions act;
  act.whole = cancel_id;
  act.element = [&](JobRecord& e, v1::CancelResult& one) {
    if (IsFinished(e.state)) return false;
    CancelOne(e, signal, who, one, actions);
    return true;
  };
  act.pending = [&](JobRecord& array, uint32_t task, v1::CancelResult& one) {
    if (!MayActOn(config_, who, array.owner.uid)) {
      one.set_code(v1::ERROR_CODE_PERMISSION_DENIED);
      one.set_message("access/permission denied: job " + std::to_string(array.id) + "_" + std::to_string(task) +
                      " belongs to " + array.owner.user);
    } else if (signal != 0) {
      one.set_code(v1::ERROR_CODE_INVALID_ARGUMENT);
      one.set_message("job is pending execution: there is no process to signal");
    } else {
      // A cancelled element leaves the remainder as a record of its own, so that sacct shows it
      // CANCELLED (as Slurm does).
      JobRecord& e = SplitElement(array, task);
      FinishJob(e, JobState::kCancelled, "None");
      MarkDirty(e.id);
    }
  };
  for (const auto& text : id_texts) results.push_back(ActOnNamed(text, act));
  return results;
}

v1::CancelResult Controller::ActOnNamed(const std::string& text, const NamedActions& act) {
  v1::CancelResult r;
  r.set_job_id_text(text);
  auto spec = ParseJobIdSpec(text);
  if (!spec.ok()) {
    r.set_code(v1::ERROR_CODE_INVALID_ARGUMENT);
    r.set_message(spec.status().message());
    return r;
  }
  r.set_job_id(spec->job_id);
  if (!spec->tasks) {
    act.whole(spec->job_id, r);
    return r;
  }
  bool found = false;
  for (auto task = spec->tasks->First(); task; task = spec->tasks->NextFrom(*task + 1)) {
    v1::CancelResult one;
    JobRecord* element = const_cast<JobRecord*>(FindElement(spec->job_id, *task));
    auto it = jobs_.find(spec->job_id);
    if (element == nullptr && it != jobs_.end() && it->second.durable && it->second.IsArrayRemainder() &&
        it->second.state == JobState::kPending && it->second.array_remaining->Contains(*task)) {
      act.pending(it->second, *task, one);
      found = true;
    } else if (element != nullptr && element->durable) {
      found = act.element(*element, one) || found;
    }
    if (one.code() != v1::ERROR_CODE_UNSPECIFIED && r.code() == v1::ERROR_CODE_UNSPECIFIED) {
      r.set_code(one.code());
      r.set_message(one.message());
    }
  }
  if (!found && r.code() == v1::ERROR_CODE_UNSPECIFIED) {
    r.set_code(v1::ERROR_CODE_NOT_FOUND);
    r.set_message("invalid job id specified");
  }
  return r;
}

void Controller::CancelOne(JobRecord& job, int32_t signal, const Identity& who, v1::CancelResult& r,
                           std::vector<SignalAction>* actions) {
  const uint64_t id = job.id;
  if (!MayActOn(config_, who, job.owner.uid)) {
    r.set_code(v1::ERROR_CODE_PERMISSION_DENIED);
    r.set_message("access/permission denied: job " + std::to_string(id) + " belongs to " + job.owner.user);
    return;
  }
  if (job.state == JobState::kPending) {
    if (signal != 0) {
      r.set_code(v1::ERROR_CODE_INVALID_ARGUMENT);
      r.set_message("job is pending execution: there is no process to signal");
    } else {
      FinishJob(job, JobState::kCancelled, "None");
      MarkDirty(id);
    }
    return;
  }
  // Running: the node delivers the signal. A cancel shows as CANCELLED at once; the cores
  // stay allocated until the node confirms every process is gone.
  actions->push_back({job.allocation.front().node, id, signal});
  // Steps run on every node of the job; the batch stepd on the first one only.
  for (size_t i = 1; i < job.allocation.size(); ++i) actions->push_back({job.allocation[i].node, id, signal});
  if (signal == 0) {
    FinishJob(job, JobState::kCancelled, "None");
    job.requeue_pending = false;
    MarkDirty(id);
    ReleaseIfIdle(job);
  }
}

Result<v1::RegisterNodeResponse> Controller::RegisterNode(const v1::RegisterNodeRequest& request) {
  auto it = nodes_.find(request.name());
  if (it == nodes_.end()) {
    return Status::NotFound("node " + request.name() + " is not in the cluster configuration");
  }
  NodeRecord& node = it->second;
  node.registered = true;
  node.down = false;
  // A drain (the node failed a job: prolog, epilog, cgroup) outlasts reconnects; restarting
  // noded, after fixing the cause, lifts it.
  if (request.fresh_start()) node.drained = false;
  if (!node.drained) node.reason.clear();
  node.last_seen = clock_.MonotonicNow();
  node.cgroups = request.cgroups();
  node.batch_rpcs = request.batch_rpcs();
  CheckTopology(node, request);
  v1::RegisterNodeResponse response;
  response.set_batch_rpcs(true);  // jobs_finished is served here
  response.set_heartbeat_interval_ms(config_.heartbeat_interval_s * 1000);
  std::vector<uint64_t> reported(request.running_job_ids().begin(), request.running_job_ids().end());
  for (uint64_t id : Reconcile(request.name(), reported)) response.add_cancel_job_ids(id);
  return response;
}

void Controller::CheckTopology(NodeRecord& node, const v1::RegisterNodeRequest& request) {
  node.report.reset();
  node.hardware.clear();
  if (!request.topology_kinds().empty()) {  // nothing reported: the entry stands
    HardwareReport hw;
    for (const auto& k : request.topology_kinds()) {
      hw.kinds.push_back({k.kind(), {k.cpu_ids().begin(), k.cpu_ids().end()}, k.capacity()});
    }
    hw.memory_mb = request.memory_mb();
    hw.packages = request.packages();
    hw.clusters = request.clusters();
    hw.source = request.topology_source();
    node.hardware = DescribeHardware(hw);
    node.report = std::move(hw);
  }
  ApplyTopologyPolicy(node);
}

void Controller::ApplyTopologyPolicy(NodeRecord& node) {
  feasible_.clear();  // the idle cluster that submissions are judged against may change
  const NodeConfig* entry = config_.FindNode(node.config.name);
  node.invalid = false;
  node.invalid_reason.clear();
  node.config = *entry;
  if (!node.report) return;
  const HardwareReport& hw = *node.report;
  const TopologyComparison cmp = CompareTopology(*entry, hw);
  const TopologyPolicy policy = config_.topology_policy;
  const std::string& name = entry->name;
  std::string notice;
  if (policy == TopologyPolicy::kStrict && !cmp.shortfall.empty()) {
    node.invalid = true;
    node.invalid_reason = cmp.shortfall;
    notice = "node " + name + " is INVALID (topology_policy strict, drained): " + cmp.shortfall;
  } else if (policy == TopologyPolicy::kHardware) {
    node.config = ApplyHardware(*entry, hw);
    std::vector<std::string> reported;
    for (const auto& k : hw.kinds) reported.push_back(k.kind);
    kinds_ = MergeKinds(kinds_, reported);
    if (!cmp.difference.empty()) notice = "node " + name + " uses its hardware (topology_policy hardware): " + cmp.difference;
  } else if (!cmp.difference.empty()) {
    notice = "node " + name + " keeps its configuration (topology_policy " +
             TopologyPolicyName(policy) + "): " + cmp.difference;
  }
  if (!notice.empty() && notice != node.logged_difference) notices_.push_back(notice);
  node.logged_difference = notice;
}

Result<v1::HeartbeatResponse> Controller::Heartbeat(const v1::HeartbeatRequest& request) {
  auto it = nodes_.find(request.name());
  if (it == nodes_.end() || !it->second.registered || it->second.down) {
    // A node that was declared DOWN must register again so that its jobs are reconciled.
    return Status::NotFound("node " + request.name() + " is not registered; register first");
  }
  it->second.last_seen = clock_.MonotonicNow();
  it->second.load = request.load();
  it->second.free_memory_mb = request.free_memory_mb();
  v1::HeartbeatResponse response;
  std::vector<uint64_t> reported(request.running_job_ids().begin(), request.running_job_ids().end());
  for (uint64_t id : Reconcile(request.name(), reported)) response.add_cancel_job_ids(id);
  return response;
}

// Jobs a node runs that the controller no longer wants there are to be killed.
std::vector<uint64_t> Controller::Reconcile(const std::string& node,
                                            const std::vector<uint64_t>& reported) {
  std::vector<uint64_t> unwanted;
  for (uint64_t id : reported) {
    auto it = jobs_.find(id);
    // A cancelled job is unwanted too: repeating the cancel covers a lost signal request.
    const bool wanted = it != jobs_.end() && it->second.holds_resources &&
                        !IsFinished(it->second.state) && !it->second.requeue_pending &&
                        !it->second.allocation.empty() && it->second.allocation.front().node == node;
    if (!wanted) {
      unwanted.push_back(id);
    } else {
      it->second.confirmed = true;
    }
  }
  return unwanted;
}

Status Controller::JobFinished(const v1::JobFinishedRequest& request) {
  auto it = jobs_.find(request.job_id());
  if (it == jobs_.end()) return Status::Ok();  // already forgotten: nothing to record
  JobRecord& job = it->second;
  if (job.allocation.empty() || job.allocation.front().node != request.node()) {
    return Status::PermissionDenied("job " + std::to_string(job.id) + " does not run on node " +
                                    request.node());
  }
  if (request.run() != job.requeue_count) {
    // A run the controller already gave up on (its node failed and the job was requeued)
    // ended late: the job's current run is another one.
    return Status::Ok();
  }
  MarkDirty(job.id);
  if (job.requeue_pending) {
    // The old instance is gone: the job waits for its next run.
    job.requeue_pending = false;
    job.spec.set_hold(job.hold_after_requeue);
    ReturnToPending(job, job.hold_after_requeue ? "JobHeldUser" : "None", Run::kNext);
    job.hold_after_requeue = false;
    return Status::Ok();
  }
  job.exit_code = request.exit_code();
  job.exit_signal = request.exit_signal();
  if (request.has_usage()) job.usage = request.usage();
  if (!request.drain_reason().empty()) {
    NodeRecord& node = nodes_.at(request.node());
    node.drained = true;
    node.reason = request.drain_reason();
  }
  if (request.requeue() && !IsFinished(job.state)) {
    // The node failed the job before it ran (prolog, cgroup): it runs again elsewhere.
    ReturnToPending(job, "launch failed requeued: " + request.reason(), Run::kNext);
    return Status::Ok();
  }
  if (!IsFinished(job.state)) {
    auto state = FromProto(request.state());
    const JobState final_state = state.value_or(JobState::kFailed);
    std::string reason = request.reason();
    // Slurm's word for a script that failed; the node names a cause only when the script
    // never ran (its output file could not be opened, the user could not be assumed).
    if (final_state == JobState::kFailed && request.exit_code() != 0 && reason.empty()) reason = "NonZeroExitCode";
    FinishJob(job, final_state, reason.empty() ? "None" : reason);
  }
  ReleaseResources(job);
  // Steps do not outlive their job (they run under stepds of their own).
  SignalSteps(job, 0);
  return Status::Ok();
}

void Controller::LaunchFailed(uint64_t job_id, const std::string& node, uint32_t run,
                              const Status& why) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  JobRecord& job = it->second;
  // The answer to the launch of an earlier run (requeued since, or placed elsewhere).
  if (run != job.requeue_count || job.allocation.empty() || job.allocation.front().node != node) {
    return;
  }
  if (why.code() == StatusCode::kAlreadyExists && job.state == JobState::kRunning) {
    // The node still winds down an earlier run of this job (it was requeued when that node
    // failed): wait and run it again rather than fail it. This run never started, so the
    // next attempt keeps its run number.
    ReturnToPending(job, "launch failed requeued: " + why.message(), Run::kSame);
    MarkDirty(job_id);
    return;
  }
  if (!IsFinished(job.state)) {
    FinishJob(job, JobState::kFailed, "launch failed on " + node + ": " + why.message());
  }
  ReleaseResources(job);
  MarkDirty(job_id);
}

bool Controller::Requeues(const JobRecord& job) const {
  if (job.spec.interactive()) return false;  // its srun is gone with the node's steps
  switch (job.spec.requeue()) {
    case v1::REQUEUE_POLICY_YES: return true;
    case v1::REQUEUE_POLICY_NO: return false;
    default: return config_.job_requeue;
  }
}

void Controller::NodeFailed(JobRecord& job, const std::string& node) {
  if (!Requeues(job)) {
    FinishJob(job, JobState::kNodeFail, "NodeDown");
    ReleaseResources(job);
    return;
  }
  // Slurm's NODE_FAIL requeue: the job waits for its next run, which gets a new run number
  // so that the lost run's end, if its node comes back and reports it, changes nothing.
  ReturnToPending(job, "NodeFail: " + node + " failed, requeued", Run::kNext);
}

void Controller::ReturnToPending(JobRecord& job, std::string reason, Run run) {
  Touch(job.id);
  NoteJustChanged(job.id);
  ReleaseResources(job);
  job.state = JobState::kPending;
  job.reason = std::move(reason);
  job.allocation.clear();
  job.start_time = job.end_time = 0;
  job.exit_code = job.exit_signal = 0;
  if (run == Run::kNext) ++job.requeue_count;
}

void Controller::RevertStart(uint64_t job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second.state != JobState::kRunning) return;
  // The start was never saved, so no node was told: the same run starts again later.
  ReturnToPending(it->second, "StateNotSaved", Run::kSame);
}

Status Controller::CheckFeasible(const JobRecord& job) {
  std::string key = FeasibilityKey(job);
  if (auto it = feasible_.find(key); it != feasible_.end()) return it->second;
  Status verdict = sched::CheckFeasible(ToPending(job), BuildSnapshot(true), SchedOptions());
  if (feasible_.size() >= kMaxFeasibleVerdicts) feasible_.clear();
  feasible_.emplace(std::move(key), verdict);
  return verdict;
}

sched::Options Controller::SchedOptions() const {
  sched::Options o;
  o.default_mem_per_cpu_mb = config_.default_mem_per_cpu_mb;
  o.weight_age = config_.priority_weight_age;
  o.weight_fairshare = config_.priority_weight_fairshare;
  o.weight_job_size = config_.priority_weight_job_size;
  o.weight_partition = config_.priority_weight_partition;
  o.max_age_s = config_.priority_max_age_s;
  o.fairshare_half_life_s = config_.fairshare_half_life_s;
  o.backfill = config_.backfill;
  o.reservations = config_.reservations;
  return o;
}

sched::Snapshot Controller::BuildSnapshot(bool idle, std::vector<sched::PendingJob> buffer,
                                          const std::vector<uint64_t>* only) const {
  sched::Snapshot snap;
  buffer.clear();
  snap.pending = std::move(buffer);
  snap.now = Now();
  snap.kinds = kinds_;
  for (const auto& entry : config_.nodes) {
    const NodeRecord& n = nodes_.at(entry.name);
    const NodeConfig& nc = n.config;  // the entry in effect (topology_policy hardware)
    sched::Node node;
    node.name = nc.name;
    node.available = idle || (n.registered && !n.down && !n.admin_down && !n.drained && !n.drain &&
                              !n.invalid);
    // A config built in code may give only `cpus`, as `cpus: N` in YAML does.
    std::vector<CoreKindConfig> cores = nc.cores;
    if (cores.empty()) {
      CoreKindConfig all{kDefaultCoreKind, {}, 0};
      for (uint32_t id = 0; id < nc.cpus; ++id) all.cpu_ids.push_back(id);
      cores.push_back(all);
    }
    for (const auto& k : cores) {
      node.cores.push_back({k.kind, k.cpu_ids});
      for (uint32_t id : k.cpu_ids) {
        if (idle || !n.used_cores.count(id)) node.free_cores.push_back(id);
      }
    }
    std::sort(node.free_cores.begin(), node.free_cores.end());
    node.memory_total_mb = nc.memory_mb;
    node.memory_free_mb = idle ? nc.memory_mb : nc.memory_mb - std::min(nc.memory_mb, n.alloc_memory_mb);
    node.features = nc.features;
    snap.nodes.push_back(std::move(node));
  }
  for (const auto& p : config_.partitions) {
    sched::Partition part;
    part.name = p.name;
    part.nodes = p.nodes;
    part.state = ToSchedState(p);
    part.max_time_minutes = p.max_time_minutes ? p.max_time_minutes : sched::kUnlimitedMinutes;
    part.default_time_minutes = p.default_time_minutes ? p.default_time_minutes : sched::kUnlimitedMinutes;
    part.max_nodes = p.max_nodes;
    part.allow_users = p.allow_users;
    part.allow_groups = p.allow_groups;
    part.priority_tier = p.priority_tier;
    snap.partitions.push_back(std::move(part));
  }
  if (idle) return snap;
  // The view's entries are shared with the pass; array jobs are copied, since PreparePass
  // adjusts them per pass (%M throttling, one entry per element it may start).
  const auto add = [&](uint64_t id, const std::shared_ptr<const sched::PendingJob>& p) {
    if (!array_ids_.empty() && array_ids_.count(id)) {
      snap.pending.push_back(*p);
    } else {
      snap.shared_pending.push_back(p);
    }
  };
  if (only == nullptr) {
    snap.shared_pending.reserve(pending_view_.size());
    for (const auto& [id, p] : pending_view_) add(id, p);
  } else {
    for (uint64_t id : *only) {
      auto it = pending_view_.find(id);
      if (it != pending_view_.end()) add(id, it->second);
    }
  }
  for (uint64_t id : holding_) {
    const JobRecord& job = jobs_.at(id);
    {
      sched::RunningJob r;
      r.id = id;
      r.user = job.owner.user;
      r.start_time = job.start_time;
      r.end_time = IsFinished(job.state) || job.requeue_pending ? snap.now
                   : job.time_limit_minutes == kUnlimitedMinutes
                       ? sched::kNever
                       : job.start_time + int64_t{job.time_limit_minutes} * 60;
      r.nodes = job.allocation;
      snap.running.push_back(std::move(r));
    }
  }
  for (const auto& [user, u] : usage_) snap.usage.push_back(u);
  return snap;
}

void Controller::Allocate(const std::vector<sched::Allocation>& nodes) {
  for (const auto& a : nodes) {
    auto& n = nodes_[a.node];
    n.used_cores.insert(a.core_ids.begin(), a.core_ids.end());
    n.alloc_cpus = static_cast<uint32_t>(n.used_cores.size());
    n.alloc_memory_mb += a.memory_mb;
  }
}

bool Controller::StillFits(const std::vector<sched::Allocation>& nodes) const {
  for (const auto& a : nodes) {
    auto it = nodes_.find(a.node);
    if (it == nodes_.end()) return false;
    const NodeRecord& n = it->second;
    if (!n.registered || n.down || n.admin_down || n.drained || n.drain || n.invalid) return false;
    for (uint32_t core : a.core_ids) {
      if (n.used_cores.count(core)) return false;
    }
    if (n.alloc_memory_mb + a.memory_mb > n.config.memory_mb) return false;
  }
  return true;
}

std::vector<LaunchAction> Controller::Schedule() {
  PreparedPass pass = PreparePass();
  sched::Plan plan = RunPass(pass);
  return ApplyPass(pass, std::move(plan));
}

Controller::PreparedPass Controller::PreparePass(bool full) {
  RefreshView();
  // Dependencies first: a satisfied one is dropped for good (as Slurm clears it), a never
  // satisfiable one is latched so that purging its targets later cannot release the job.
  const auto deps = EvaluateDependencies();
  for (const auto& [id, status] : deps) {
    JobRecord& job = jobs_.at(id);
    if (status == DependencyStatus::kSatisfied) {
      job.dependency = {};
      job.spec.clear_dependency();
      MarkDirty(id);
    } else if (status == DependencyStatus::kNeverSatisfied && !job.dependency_never) {
      job.dependency_never = true;
      MarkDirty(id);
    }
  }

  RefreshView();  // the dependencies just settled

  PreparedPass pass;
  pass.options = SchedOptions();
  const size_t depth = config_.event_pass_depth;
  pass.full = full || pending_view_.size() <= config_.event_pass_threshold;
  std::vector<uint64_t> only;
  if (!pass.full) {
    for (const auto& p : priorities_) {
      if (only.size() >= depth) break;
      if (pending_view_.count(p.id)) only.push_back(p.id);
    }
    size_t fresh = 0;
    for (auto it = pending_view_.upper_bound(last_full_max_id_); it != pending_view_.end() && fresh < depth;
         ++it, ++fresh) {
      only.push_back(it->first);
    }
    for (uint64_t id : array_ids_) {
      if (pending_view_.count(id)) only.push_back(id);
    }
    for (uint64_t id : just_changed_) {
      if (pending_view_.count(id)) only.push_back(id);
    }
    std::sort(only.begin(), only.end());
    only.erase(std::unique(only.begin(), only.end()), only.end());
  } else if (!pending_view_.empty()) {
    last_full_max_id_ = pending_view_.rbegin()->first;
  }
  just_changed_.clear();  // this pass considers them (a full pass: every job)
  if (pass.full) {
    ranking_.merge(unranked_);
    unranked_.clear();
  }
  pass.snapshot = BuildSnapshot(false, std::move(spare_pending_), pass.full ? nullptr : &only);
  spare_pending_ = {};
  sched::Snapshot& snap = pass.snapshot;
  if (snap.pending.empty()) return pass;  // no array job waits: nothing below applies
  // An array's remainder is offered as up to `slots` jobs: its own id and scheduler-only ids
  // that map back to it. Throttled (%M) arrays and unmet dependencies are not started.
  std::unordered_map<uint64_t, const JobRecord*> remainders;
  std::unordered_map<uint64_t, uint64_t> pending_elements;  // element id -> its array's id
  for (uint64_t id : array_ids_) {
    const JobRecord& job = jobs_.at(id);
    const bool element = job.array_job_id != 0 && !job.IsArrayRemainder();
    if (element && (job.state == JobState::kRunning || job.holds_resources)) {
      ++pass.running_elements[job.array_job_id];
    }
    if (element && job.state == JobState::kPending) pending_elements.emplace(id, job.array_job_id);
    if (job.IsArrayRemainder() && job.state == JobState::kPending) remainders.emplace(id, &job);
  }
  // Elements that wait again (requeued) are under their array's %M too, and take its free
  // slots before indices that never ran.
  if (!pending_elements.empty()) {
    for (auto& p : snap.pending) {
      auto e = pending_elements.find(p.id);
      if (e == pending_elements.end()) continue;
      auto array = jobs_.find(e->second);
      const uint32_t limit = array == jobs_.end() ? 0 : array->second.array_max_running;
      if (limit == 0) continue;
      uint32_t& taken = pass.running_elements[e->second];
      if (taken < limit) {
        ++taken;
      } else {
        pass.throttled.insert(p.id);
        p.dependency_satisfied = false;
      }
    }
  }
  std::vector<sched::PendingJob> extra;
  uint64_t next_synthetic = kSyntheticIdBase;
  for (auto& p : snap.pending) {
    if (remainders.empty()) break;
    auto r = remainders.find(p.id);
    if (r == remainders.end()) continue;
    const JobRecord& job = *r->second;
    uint32_t slots = std::min(job.array_remaining->Count(), kMaxElementsPerPass);
    if (job.array_max_running) {
      const uint32_t running = pass.running_elements[p.id];
      slots = std::min(slots, job.array_max_running > running ? job.array_max_running - running : 0);
    }
    if (slots == 0) {
      pass.throttled.insert(p.id);
      p.dependency_satisfied = false;  // keeps it out of this pass without blocking others
      continue;
    }
    for (uint32_t k = 1; k < slots; ++k) {
      sched::PendingJob copy = p;
      copy.id = next_synthetic++;
      pass.array_of[copy.id] = p.id;
      extra.push_back(std::move(copy));
    }
  }
  for (auto& p : extra) snap.pending.push_back(std::move(p));
  return pass;
}

sched::Plan Controller::RunPass(const PreparedPass& pass) {
  if (pass.snapshot.PendingCount() == 0) return {};
  return sched::Schedule(pass.snapshot, pass.options);
}

std::vector<LaunchAction> Controller::ApplyPass(PreparedPass& pass, sched::Plan plan, bool* stale) {
  if (stale) *stale = false;
  if (pass.full) {
    priorities_.clear();
    priority_context_.reset();
    ranking_.clear();
  }
  if (pass.snapshot.PendingCount() == 0) return {};
  if (pass.full) {
    priorities_ = std::move(plan.priorities);
    priority_context_ = std::move(plan.priority_context);
  }
  if (pass.full && !pass.array_of.empty()) {
    priorities_.erase(std::remove_if(priorities_.begin(), priorities_.end(),
                                     [](const sched::PriorityExplanation& p) { return p.id >= kSyntheticIdBase; }),
                      priorities_.end());
  }
  for (const auto& wait : plan.waits) {
    if (wait.id >= kSyntheticIdBase) continue;
    auto it = jobs_.find(wait.id);
    if (it == jobs_.end() || it->second.state != JobState::kPending) continue;
    JobRecord& job = it->second;
    // Held since the snapshot: the hold's reason stands until the next pass.
    if (job.spec.hold() && wait.reason != sched::reason::kJobHeldUser &&
        wait.reason != sched::reason::kJobHeldAdmin) {
      continue;
    }
    job.expected_start = 0;
    job.reason = job.dependency_never ? kDependencyNeverSatisfied
                 : pass.throttled.count(wait.id) && wait.reason == sched::reason::kDependency && job.dependency.empty()
                     ? kJobArrayTaskLimit
                     : wait.reason;
  }
  for (const auto& r : plan.reservations) {
    auto mapped = pass.array_of.find(r.id);
    auto it = jobs_.find(mapped == pass.array_of.end() ? r.id : mapped->second);
    if (it != jobs_.end() && it->second.state == JobState::kPending) it->second.expected_start = r.start_time;
  }
  std::vector<LaunchAction> launches;
  const int64_t now = Now();
  for (auto& start : plan.starts) {
    auto mapped = pass.array_of.find(start.id);
    auto it = jobs_.find(mapped == pass.array_of.end() ? start.id : mapped->second);
    if (it == jobs_.end() || it->second.state != JobState::kPending) continue;
    JobRecord* target = &it->second;
    // Whatever changed since the snapshot (a hold, a cancel then purge, a drained node) wins.
    if (target->spec.hold() || !target->durable || !target->dependency.empty() || target->dependency_never ||
        (target->IsArrayRemainder() && target->array_remaining->Empty()) || !StillFits(start.nodes)) {
      if (stale) *stale = true;
      continue;
    }
    if (target->IsArrayRemainder()) {
      JobRecord& array = *target;
      target = &SplitElement(array, *array.array_remaining->First());
      // The remainder now waits on its throttle, not on the reason of a pass ago.
      if (array.IsArrayRemainder() && array.array_max_running &&
          ++pass.running_elements[array.id] >= array.array_max_running) {
        array.reason = kJobArrayTaskLimit;
      }
    }
    JobRecord& job = *target;
    job.state = JobState::kRunning;
    job.reason = "None";
    job.start_time = now;
    job.expected_start = 0;
    job.warn_signal_sent = false;
    job.allocation = std::move(start.nodes);
    job.holds_resources = true;
    MarkDirty(job.id);
    Allocate(job.allocation);
    // An interactive allocation has no batch script: its steps come from srun / salloc.
    if (!job.spec.interactive()) launches.push_back({job.allocation.front().node, MakeLaunch(job)});
  }
  return launches;
}

void Controller::VisitPriorities(const std::function<void(const sched::PriorityExplanation&)>& visit) const {
  if (unranked_.empty() && ranking_.empty()) {
    for (const auto& p : priorities_) visit(p);
    return;
  }
  const sched::Options options = SchedOptions();
  // Before the first full pass with pending jobs there is nothing measured: measure now.
  sched::PriorityContext context =
      priority_context_ ? *priority_context_ : sched::MakePriorityContext(BuildSnapshot(false), options);
  std::vector<sched::PendingJob> changed;
  for (const auto* ids : {&ranking_, &unranked_}) {
    for (uint64_t id : *ids) {
      if (ids == &unranked_ && ranking_.count(id)) continue;
      auto it = jobs_.find(id);
      if (it == jobs_.end() || it->second.state != JobState::kPending || !it->second.durable) continue;
      changed.push_back(ToPending(it->second));
      context.users.insert(changed.back().user);
    }
  }
  const int64_t now = Now();
  std::vector<sched::PriorityExplanation> fresh;
  fresh.reserve(changed.size());
  for (const auto& j : changed) fresh.push_back(sched::ExplainPriority(j, context, options, now));
  const auto before = [](const sched::PriorityExplanation& a, const sched::PriorityExplanation& b) {
    return a.priority != b.priority ? a.priority > b.priority : a.id < b.id;
  };
  std::sort(fresh.begin(), fresh.end(), before);
  auto next = fresh.begin();
  for (const auto& p : priorities_) {
    if (unranked_.count(p.id) || ranking_.count(p.id)) continue;  // weighed afresh, or no longer pending
    for (; next != fresh.end() && before(*next, p); ++next) visit(*next);
    visit(p);
  }
  for (; next != fresh.end(); ++next) visit(*next);
}

void Controller::RecyclePass(PreparedPass& pass) {
  pass.snapshot.pending.clear();
  spare_pending_ = std::move(pass.snapshot.pending);
  pass.snapshot.shared_pending = {};
}

void Controller::RefreshViewOf(uint64_t id) {
  auto it = jobs_.find(id);
  const JobRecord* job = it == jobs_.end() ? nullptr : &it->second;
  const bool pending = job != nullptr && job->state == JobState::kPending && job->durable;
  if (pending) {
    auto p = std::make_shared<sched::PendingJob>(ToPending(*job));
    p->dependency_satisfied = job->dependency.empty() && !job->dependency_never;
    // Ids grow: a new job goes at the end.
    pending_view_.insert_or_assign(pending_view_.end(), id, std::move(p));
  } else {
    pending_view_.erase(id);
  }
  const auto set = [id](std::set<uint64_t>& s, bool member) {
    if (member) {
      s.insert(s.end(), id);
    } else {
      s.erase(id);
    }
  };
  set(holding_, job != nullptr && job->holds_resources);
  set(array_ids_, job != nullptr && IsLiveArrayJob(*job));
  set(dependent_, pending && !job->dependency.empty());
  set(running_, job != nullptr && job->state == JobState::kRunning);
  set(ended_, job != nullptr && IsFinished(job->state));
}

void Controller::RefreshView() {
  if (view_all_dirty_) {
    pending_view_.clear();
    holding_.clear();
    array_ids_.clear();
    dependent_.clear();
    running_.clear();
    ended_.clear();
    view_dirty_.clear();
    for (const auto& [id, job] : jobs_) RefreshViewOf(id);
    view_all_dirty_ = false;
    ticks_since_rebuild_ = 0;
    return;
  }
  for (uint64_t id : view_dirty_) RefreshViewOf(id);
  view_dirty_.clear();
}

namespace {

// Every field of a PendingJob, for comparing two of them in CheckSchedulerView.
std::string Describe(const sched::PendingJob& p) {
  std::string out = std::to_string(p.id) + " " + p.user + " " + std::to_string(p.uid) + " [";
  for (const auto& g : p.groups) out += g + ",";
  out += "] " + p.partition + " " + std::to_string(p.submit_time) + " " + std::to_string(p.nice) + " " +
         std::to_string(p.min_nodes) + "-" + std::to_string(p.max_nodes) + (p.fewest_nodes ? " fewest " : " ") +
         std::to_string(p.ntasks) + "x" + std::to_string(p.cpus_per_task) + " " + std::to_string(p.ntasks_per_node) +
         " " + std::to_string(p.mem_per_node_mb) + "/" + std::to_string(p.mem_per_cpu_mb) +
         (p.exclusive ? " exclusive" : "") + " w[";
  for (const auto& n : p.nodelist) out += n + ",";
  out += "] x[";
  for (const auto& n : p.exclude) out += n + ",";
  out += "] f[";
  for (const auto& n : p.features) out += n + ",";
  out += "] kind " + std::to_string(static_cast<int>(p.cpu_kind.mode)) + " " + p.cpu_kind.kind;
  for (const auto& c : p.cpu_kind.counts) out += " " + c.kind + ":" + std::to_string(c.count);
  out += " limit " + std::to_string(p.time_limit_minutes) + " hold " + std::to_string(static_cast<int>(p.hold)) +
         " begin " + std::to_string(p.begin_time) + (p.dependency_satisfied ? "" : " dependency");
  return out;
}

}  // namespace

Status Controller::CheckSchedulerView() {
  RefreshView();
  std::map<uint64_t, std::string> want;
  std::set<uint64_t> holding, arrays, dependent, running, ended;
  for (const auto& [id, job] : jobs_) {
    const bool pending = job.state == JobState::kPending && job.durable;
    if (pending) {
      sched::PendingJob p = ToPending(job);
      p.dependency_satisfied = job.dependency.empty() && !job.dependency_never;
      want[id] = Describe(p);
    }
    if (job.holds_resources) holding.insert(id);
    if (IsLiveArrayJob(job)) arrays.insert(id);
    if (pending && !job.dependency.empty()) dependent.insert(id);
    if (job.state == JobState::kRunning) running.insert(id);
    if (IsFinished(job.state)) ended.insert(id);
  }
  std::map<uint64_t, std::string> have;
  for (const auto& [id, p] : pending_view_) have[id] = Describe(*p);
  for (const auto& [id, text] : want) {
    auto it = have.find(id);
    if (it == have.end()) return Status::Internal("pending job " + std::to_string(id) + " is missing from the view");
    if (it->second != text) return Status::Internal("view of job " + std::to_string(id) + " is " + it->second + ", not " + text);
  }
  for (const auto& [id, text] : have) {
    if (!want.count(id)) return Status::Internal("job " + std::to_string(id) + " is in the view but not pending");
  }
  if (holding != holding_) return Status::Internal("the jobs holding cores differ from the view's");
  if (arrays != array_ids_) return Status::Internal("the array jobs differ from the view's");
  if (dependent != dependent_) return Status::Internal("the jobs with dependencies differ from the view's");
  if (running != running_) return Status::Internal("the running jobs differ from the view's");
  if (ended != ended_) return Status::Internal("the finished jobs differ from the view's");
  return Status::Ok();
}

JobRecord& Controller::SplitElement(JobRecord& array, uint32_t task) {
  array.array_remaining->Remove(task);
  MarkDirty(array.id);
  if (array.array_remaining->Empty()) {
    // The last index takes the array's own record (Slurm does the same).
    array.array_remaining.reset();
    array.array_task_id = task;
    return array;
  }
  JobRecord e;
  e.id = next_job_id_++;
  e.spec = array.spec;
  e.spec.clear_dependency();  // only started once the array's dependency was met
  e.owner = array.owner;
  e.partition = array.partition;
  e.time_limit_minutes = array.time_limit_minutes;
  e.submit_time = array.submit_time;
  e.held_by_admin = array.held_by_admin;
  e.array_job_id = array.id;
  e.array_task_id = task;
  e.array_count = array.array_count;
  e.array_min = array.array_min;
  e.array_max = array.array_max;
  e.array_step = array.array_step;
  const uint64_t id = e.id;
  MarkDirty(id);
  return jobs_.emplace(id, std::move(e)).first->second;
}

uint32_t Controller::RunningElements(uint64_t array_id) const {
  uint32_t n = 0;
  for (const auto& [id, job] : jobs_) {
    if (job.array_job_id == array_id && !job.IsArrayRemainder() &&
        (job.state == JobState::kRunning || job.holds_resources)) {
      ++n;
    }
  }
  return n;
}

namespace {

void Count(TargetState& t, JobState state, uint32_t n) {
  t.known = true;
  if (state == JobState::kPending) {
    t.pending += n;
  } else if (state == JobState::kRunning) {
    t.running += n;
  } else if (state == JobState::kCompleted) {
    t.ok += n;
  } else {
    t.not_ok += n;
  }
}

}  // namespace

Controller::TargetIndex Controller::BuildTargetIndex() const {
  TargetIndex index;
  auto add = [&](uint64_t id, uint64_t array_job_id, const std::optional<uint32_t>& task, JobState state,
                 uint32_t n) {
    Count(index.by_id[id], state, n);
    if (array_job_id && array_job_id != id) Count(index.by_id[array_job_id], state, n);
    if (array_job_id && task) Count(index.by_task[{array_job_id, *task}], state, 1);
  };
  for (const auto& [id, job] : jobs_) {
    if (!job.durable) continue;
    if (job.IsArrayRemainder()) {
      add(id, 0, std::nullopt, job.state, job.array_remaining->Count());
      index.remainders[id] = {&*job.array_remaining, job.state};
      continue;
    }
    add(id, job.array_job_id, job.array_task_id, job.state, 1);
  }
  for (const auto& [id, f] : finished_) add(id, f.array_job_id, f.array_task_id, f.state, f.remainder ? f.remainder : 1);
  return index;
}

TargetState Controller::TargetIndex::Lookup(const DependencyItem& item) const {
  if (item.task_id) {
    if (auto it = by_task.find({item.job_id, *item.task_id}); it != by_task.end()) return it->second;
    auto r = remainders.find(item.job_id);
    TargetState t;
    if (r != remainders.end() && r->second.first->Contains(*item.task_id)) Count(t, r->second.second, 1);
    return t;
  }
  auto it = by_id.find(item.job_id);
  return it == by_id.end() ? TargetState{} : it->second;
}

std::map<uint64_t, DependencyStatus> Controller::EvaluateDependencies() const {
  std::map<uint64_t, DependencyStatus> out;
  // singleton: per user and name, whether one runs and the oldest pending singleton job.
  std::map<std::pair<uint32_t, std::string>, std::pair<bool, uint64_t>> singles;
  bool any_singleton = false;
  for (uint64_t id : dependent_) {
    for (const auto& item : jobs_.at(id).dependency.items) any_singleton |= item.type == DependencyType::kSingleton;
  }
  if (any_singleton) {
    for (const auto& [id, job] : jobs_) {
      if (!job.durable) continue;
      auto& s = singles.try_emplace({job.owner.uid, job.spec.name()}, false, UINT64_MAX).first->second;
      if (job.state == JobState::kRunning || job.holds_resources) s.first = true;
      if (job.state == JobState::kPending && s.second == UINT64_MAX &&
          std::any_of(job.dependency.items.begin(), job.dependency.items.end(),
                      [](const auto& i) { return i.type == DependencyType::kSingleton; })) {
        s.second = id;
      }
    }
  }
  std::optional<TargetIndex> index;
  for (uint64_t id : dependent_) {
    const JobRecord& job = jobs_.at(id);
    if (job.state != JobState::kPending || !job.durable || job.dependency.empty()) continue;
    if (!index) index = BuildTargetIndex();
    std::vector<DependencyStatus> items;
    for (const auto& item : job.dependency.items) {
      if (item.type == DependencyType::kSingleton) {
        const auto& s = singles.at({job.owner.uid, job.spec.name()});
        // The oldest waiting singleton goes first, and only once none of its kind runs.
        items.push_back(!s.first && s.second == id ? DependencyStatus::kSatisfied : DependencyStatus::kWaiting);
      } else {
        items.push_back(EvaluateItem(item.type, index->Lookup(item)));
      }
    }
    out[id] = Combine(items, job.dependency.any);
  }
  return out;
}

Status Controller::ParseJobExtras(JobRecord& job) {
  if (!job.spec.array().empty()) {
    auto a = ParseArraySpec(job.spec.array());
    if (!a.ok()) return a.status();
    job.array_max_running = a->max_running;
    job.array_count = a->count;
    job.array_min = a->min;
    job.array_max = a->max;
    job.array_step = a->step;
    if (!job.array_remaining && !job.array_task_id) job.array_remaining = std::move(a->indices);
  }
  auto d = ParseDependency(job.spec.dependency());
  if (!d.ok()) return d.status().WithContext("--dependency");
  job.dependency = std::move(*d);
  return Status::Ok();
}

void Controller::Tick() {
  if (++ticks_since_rebuild_ >= kViewRebuildTicks) view_all_dirty_ = true;
  // The loops below over running and finished jobs use the view's indexes, not every job.
  RefreshView();
  const auto now = clock_.MonotonicNow();
  const auto timeout = std::chrono::seconds(config_.node_timeout_s);
  for (auto& [name, node] : nodes_) {
    if (!node.registered || node.down || now - node.last_seen <= timeout) continue;
    node.down = true;
    node.reason = "Not responding";
    for (auto& [id, job] : jobs_) {
      const bool uses_node = std::any_of(job.allocation.begin(), job.allocation.end(),
                                         [&](const auto& a) { return a.node == name; });
      if (!uses_node || !job.holds_resources) continue;
      EndSteps(job, JobState::kNodeFail, "NodeDown");
      SignalSteps(job, 0);
      if (!IsFinished(job.state)) {
        NodeFailed(job, name);
      } else {
        ReleaseResources(job);
      }
      MarkDirty(id);
    }
  }
  // Interactive jobs have no stepd of their own to enforce the time limit.
  RefreshView();  // the loop above may have ended some
  for (uint64_t id : running_) {
    JobRecord& job = jobs_.at(id);
    if (!job.spec.interactive() || job.state != JobState::kRunning ||
        job.time_limit_minutes == kUnlimitedMinutes) {
      continue;
    }
    if (Now() < job.start_time + int64_t{job.time_limit_minutes} * 60) continue;
    FinishJob(job, JobState::kTimeout, "TimeLimit");
    SignalSteps(job, 0);
    ReleaseIfIdle(job);
    MarkDirty(id);
  }
  SendWarnSignals();
  // After a restart, running jobs that no node has reported within the grace period are lost.
  if (grace_until_ != MonotonicTime{} && now >= grace_until_) {
    grace_until_ = MonotonicTime{};
    for (auto& [id, job] : jobs_) {
      if (job.state != JobState::kRunning || job.confirmed) continue;
      // Its nodes all registered again and none reports it, and a node keeps every job it
      // started until the controller has its end: the launch never arrived (the controller
      // died between saving the start and sending it). It never ran, so it waits again.
      const bool nodes_back =
          !job.allocation.empty() &&
          std::all_of(job.allocation.begin(), job.allocation.end(), [&](const auto& a) {
            auto n = nodes_.find(a.node);
            return n != nodes_.end() && n->second.registered && !n->second.down;
          });
      if (nodes_back && !job.spec.interactive()) {
        ReturnToPending(job, "launch lost at controller restart: requeued", Run::kNext);
      } else {
        FinishJob(job, JobState::kNodeFail, "JobLostAtRestart");
        ReleaseResources(job);
      }
      MarkDirty(id);
    }
  }
  const int64_t cutoff = Now() - static_cast<int64_t>(config_.min_job_age_s);
  RefreshView();
  for (uint64_t id : ended_) {
    auto it = jobs_.find(id);
    const JobRecord& job = it->second;
    if (IsFinished(job.state) && !job.holds_resources && job.end_time < cutoff) {
      // Remembered briefly: dependencies and `sacct -j ARRAY` still resolve it.
      finished_[job.id] = {job.state, job.end_time, job.array_job_id, job.array_task_id,
                           job.array_remaining ? std::max<uint32_t>(job.array_remaining->Count(), 1) : 0};
      Touch(job.id);
      jobs_.erase(it);
    }
  }
  const int64_t forget = Now() - kFinalStateMemorySeconds;
  for (auto it = finished_.begin(); it != finished_.end();) {
    it = it->second.end_time < forget ? finished_.erase(it) : std::next(it);
  }
}

void Controller::FinishJob(JobRecord& job, JobState state, const std::string& reason) {
  Touch(job.id);
  job.state = state;
  job.reason = reason;
  job.end_time = Now();
  if (job.start_time == 0) job.start_time = job.end_time;
}

void Controller::ReleaseResources(JobRecord& job) {
  if (!job.holds_resources) return;
  Touch(job.id);
  uint64_t cores = 0;
  for (const auto& a : job.allocation) {
    auto& n = nodes_[a.node];
    for (uint32_t id : a.core_ids) n.used_cores.erase(id);
    n.alloc_cpus = static_cast<uint32_t>(n.used_cores.size());
    n.alloc_memory_mb -= std::min(n.alloc_memory_mb, a.memory_mb);
    cores += a.core_ids.size();
  }
  job.holds_resources = false;
  // Fair share: what the job used, folded into its user's decayed total.
  const int64_t now = Now();
  auto& u = usage_[job.owner.user];
  u.user = job.owner.user;
  u.cpu_seconds = sched::DecayedUsage(u.cpu_seconds, u.as_of, now, config_.fairshare_half_life_s);
  u.as_of = now;
  if (job.start_time && now > job.start_time) u.cpu_seconds += static_cast<double>(cores * (now - job.start_time));
}

namespace {

// squeue's %C: the allocated cores, or for a job without any what it asked for.
uint32_t ShownCpus(const JobRecord& job) {
  uint32_t cpus = 0;
  for (const auto& a : job.allocation) cpus += static_cast<uint32_t>(a.core_ids.size());
  return cpus ? cpus : RequestedCpus(job.spec);
}

// An array's not-started remainder, "2-5%2"; "" for anything else.
std::string ArrayPendingText(const JobRecord& job) {
  if (!job.array_remaining) return "";
  std::string pending = job.array_remaining->Ranges();
  if (job.array_max_running) pending += "%" + std::to_string(job.array_max_running);
  return pending;
}

std::string NodeListText(const JobRecord& job) {
  if (job.allocation.empty()) return "";  // a pending job: no hostlist to build
  std::vector<std::string> names;
  for (const auto& a : job.allocation) names.push_back(a.node);
  return CompressHostlist(names);
}

// One pass over the jobs, each text interned once: no JobInfo per job.
void AddTableRow(const JobRecord& job, bool redact, JobTableBuilder* table) {
  JobTableRow row;
  row.job_id = job.id;
  row.array_job_id = job.array_job_id;
  row.array_task_id = job.array_task_id.value_or(0);
  const std::string pending = ArrayPendingText(job);
  row.array_pending = pending;
  row.state = ToProto(job.state);
  row.user = job.owner.user;
  row.uid = job.owner.uid;
  row.gid = job.owner.gid;
  row.name = job.spec.name();
  row.account = job.spec.account();
  row.comment = job.spec.comment();
  row.partition = job.partition;
  row.reason = job.reason;
  const std::string nodes = NodeListText(job);
  row.node_list = nodes;
  row.start_time = job.start_time;
  row.end_time = job.end_time;
  row.submit_time = job.submit_time;
  row.expected_start = job.state == JobState::kPending ? job.expected_start : 0;
  row.time_limit_minutes = job.time_limit_minutes == kUnlimitedMinutes ? 0 : job.time_limit_minutes;
  row.nodes = job.allocation.empty() ? job.spec.min_nodes() : static_cast<uint32_t>(job.allocation.size());
  row.cpus = ShownCpus(job);
  row.cpus_per_task = job.spec.cpus_per_task();
  row.mem_per_node_mb = job.spec.mem_per_node_mb();
  row.mem_per_cpu_mb = job.spec.mem_per_cpu_mb();
  table->Add(row, redact);
}

}  // namespace

v1::QueryJobsResponse Controller::QueryJobs(const v1::QueryJobsRequest& request, const Identity* viewer) const {
  v1::QueryJobsResponse response;
  std::optional<JobTableBuilder> table;
  if (request.table()) table.emplace(response.mutable_table(), request.table_columns());
  const std::set<uint64_t> ids(request.job_ids().begin(), request.job_ids().end());
  const std::set<std::string> users(request.users().begin(), request.users().end());
  const std::set<std::string> parts(request.partitions().begin(), request.partitions().end());
  std::set<int> states;
  for (int s : request.states()) states.insert(s);
  for (const auto& [id, job] : jobs_) {
    if (!job.durable) continue;
    if (!ids.empty() && !ids.count(id) && !(job.array_job_id && ids.count(job.array_job_id))) continue;
    if (!users.empty() && !users.count(job.owner.user) && !users.count(std::to_string(job.owner.uid))) continue;
    if (!parts.empty() && !parts.count(job.partition)) continue;
    if (!states.empty()) {
      if (!states.count(ToProto(job.state))) continue;
    } else if (IsFinished(job.state) && !request.include_finished() && ids.empty()) {
      continue;
    }
    if (table) {
      const Visibility seen = viewer ? JobVisibility(config_, *viewer, job.owner.uid) : Visibility::kFull;
      if (seen != Visibility::kHidden) AddTableRow(job, seen == Visibility::kRedacted, &*table);
      continue;
    }
    FillJobInfo(job, response.add_jobs(), request.omit());
  }
  return response;
}

namespace {

// One reason for sinfo -R and scontrol: the operator's, the hardware shortfall, the node's own
// failure; both when an operator drained an INVALID node.
std::string NodeReason(const NodeRecord& n) {
  const bool admin = n.drain || n.admin_down;
  if (n.invalid && admin && !n.down) return n.invalid_reason + "; " + n.admin_reason;
  if (admin) return n.admin_reason;
  if (n.invalid && !n.down) return n.invalid_reason;
  return n.reason;
}

}  // namespace

v1::QueryNodesResponse Controller::QueryNodes() const {
  v1::QueryNodesResponse response;
  response.set_cluster_name(config_.cluster_name);
  for (const auto& entry : config_.nodes) {
    const NodeRecord& n = nodes_.at(entry.name);
    const NodeConfig& nc = n.config;
    auto* info = response.add_nodes();
    info->set_name(nc.name);
    info->set_state(ToProto(n.State()));
    info->set_reason(NodeReason(n));
    info->set_drain_user(n.admin_user);
    info->set_drain_time(n.admin_time);
    info->set_cpus(nc.cpus);
    info->set_alloc_cpus(n.alloc_cpus);
    info->set_memory_mb(nc.memory_mb);
    info->set_alloc_memory_mb(n.alloc_memory_mb);
    info->set_address(nc.address);
    info->set_load(n.load);
    info->set_free_memory_mb(n.free_memory_mb);
    info->set_cgroups(n.cgroups);
    info->set_hardware(n.hardware);
    for (const auto& f : nc.features) info->add_features(f);
    for (const auto& p : config_.partitions) {
      if (std::find(p.nodes.begin(), p.nodes.end(), nc.name) != p.nodes.end()) info->add_partitions(p.name);
    }
  }
  for (const auto& p : config_.partitions) {
    auto* info = response.add_partitions();
    info->set_name(p.name);
    info->set_is_default(&p == config_.DefaultPartition());
    info->set_up(p.up);
    info->set_max_time_minutes(p.max_time_minutes);
    for (const auto& n : p.nodes) info->add_nodes(n);
    info->set_state(PartitionStateWord(p));
    info->set_default_time_minutes(p.default_time_minutes);
    info->set_max_nodes(p.max_nodes);
    info->set_priority_tier(p.priority_tier);
    for (const auto& u : p.allow_users) info->mutable_access()->add_allow_users(u);
    for (const auto& g : p.allow_groups) info->mutable_access()->add_allow_groups(g);
  }
  return response;
}

const JobRecord* Controller::FindJob(uint64_t id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const JobRecord* Controller::FindElement(uint64_t array_id, uint32_t task) const {
  for (const auto& [id, job] : jobs_) {
    if (job.array_job_id == array_id && job.array_task_id == task) return &job;
  }
  return nullptr;
}

std::vector<uint64_t> Controller::WithArrayElements(const std::vector<uint64_t>& ids) const {
  std::set<uint64_t> out(ids.begin(), ids.end());
  for (const auto& [id, job] : jobs_) {
    if (job.array_job_id && out.count(job.array_job_id)) out.insert(id);
  }
  for (const auto& [id, f] : finished_) {
    if (f.array_job_id && out.count(f.array_job_id)) out.insert(id);
  }
  return {out.begin(), out.end()};
}

const NodeRecord* Controller::FindNode(const std::string& name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

void Controller::FillJobInfo(const JobRecord& job, v1::JobInfo* out, uint32_t omit) {
  out->set_job_id(job.id);
  if (omit & v1::JOB_INFO_PART_SPEC_DETAIL) {
    // A listing's spec: what squeue's formats show, a few bytes per job.
    v1::JobSpec* brief = out->mutable_spec();
    brief->set_name(job.spec.name());
    brief->set_account(job.spec.account());
    brief->set_comment(job.spec.comment());
    brief->set_min_nodes(job.spec.min_nodes());
    brief->set_cpus_per_task(job.spec.cpus_per_task());
    brief->set_mem_per_node_mb(job.spec.mem_per_node_mb());
    brief->set_mem_per_cpu_mb(job.spec.mem_per_cpu_mb());
  } else {
    // The spec without its script and environment, which can be most of its bytes (sbatch
    // sends the whole environment): they are moved aside for the copy instead of copied and
    // cleared. Every JobRecord lives in a non-const container, so the cast is sound; the spec
    // is as before when this returns.
    auto& spec = const_cast<v1::JobSpec&>(job.spec);
    std::string script;
    google::protobuf::RepeatedPtrField<v1::EnvVar> environment;
    spec.mutable_script()->swap(script);
    spec.mutable_environment()->Swap(&environment);
    *out->mutable_spec() = spec;
    spec.mutable_script()->swap(script);
    spec.mutable_environment()->Swap(&environment);
  }
  out->set_uid(job.owner.uid);
  out->set_gid(job.owner.gid);
  out->set_user(job.owner.user);
  out->set_state(ToProto(job.state));
  out->set_reason(job.reason);
  out->set_submit_time(job.submit_time);
  out->set_start_time(job.start_time);
  out->set_end_time(job.end_time);
  for (const auto& a : job.allocation) ToProto(a, out->add_allocation());
  if (!job.allocation.empty()) out->set_node_list(NodeListText(job));
  out->set_cpus(ShownCpus(job));
  out->set_exit_code(job.exit_code);
  out->set_exit_signal(job.exit_signal);
  out->set_partition(job.partition);
  out->set_time_limit_minutes(job.time_limit_minutes == kUnlimitedMinutes ? 0 : job.time_limit_minutes);
  out->set_requeue_count(job.requeue_count);
  if (!(omit & v1::JOB_INFO_PART_USAGE)) *out->mutable_usage() = job.usage;
  out->set_held(job.spec.hold());
  out->set_array_job_id(job.array_job_id);
  if (job.array_task_id) out->set_array_task_id(*job.array_task_id);
  if (job.array_remaining) out->set_array_pending(ArrayPendingText(job));
  if (!(omit & v1::JOB_INFO_PART_STEPS)) {
    for (const auto& step : job.steps) *out->add_steps() = step;
  }
  if (job.state == JobState::kPending) out->set_expected_start(job.expected_start);
}

void Controller::FillJobInfo(const v1::StoredJob& job, v1::JobInfo* out) {
  JobRecord record = FromStored(job);  // a named, non-const object (see the other overload)
  FillJobInfo(record, out);
}

v1::StoredJob Controller::ToStored(const JobRecord& job) {
  v1::StoredJob s;
  s.set_job_id(job.id);
  *s.mutable_spec() = job.spec;
  s.set_uid(job.owner.uid);
  s.set_gid(job.owner.gid);
  for (uint32_t g : job.owner.groups) s.add_groups(g);
  s.set_user(job.owner.user);
  s.set_submit_host(job.owner.host);
  s.set_state(ToProto(job.state));
  s.set_reason(job.reason);
  s.set_partition(job.partition);
  s.set_time_limit_minutes(job.time_limit_minutes);
  s.set_submit_time(job.submit_time);
  s.set_start_time(job.start_time);
  s.set_end_time(job.end_time);
  for (const auto& a : job.allocation) {
    ToProto(a, s.add_allocation());
  }
  for (const auto& g : job.owner.group_names) s.add_group_names(g);
  s.set_holds_resources(job.holds_resources);
  s.set_exit_code(job.exit_code);
  s.set_exit_signal(job.exit_signal);
  s.set_requeue_count(job.requeue_count);
  s.set_requeue_pending(job.requeue_pending);
  s.set_held_by_admin(job.held_by_admin);
  s.set_hold_after_requeue(job.hold_after_requeue);
  *s.mutable_usage() = job.usage;
  s.set_array_job_id(job.array_job_id);
  s.set_has_array_task(job.array_task_id.has_value());
  if (job.array_task_id) s.set_array_task_id(*job.array_task_id);
  if (job.array_remaining) s.set_array_remaining(job.array_remaining->Ranges());
  s.set_dependency_never(job.dependency_never);
  for (const auto& step : job.steps) *s.add_steps() = step;
  s.set_next_step_id(job.next_step_id);
  s.set_warn_signal_sent(job.warn_signal_sent);
  return s;
}

JobRecord Controller::FromStored(const v1::StoredJob& s) {
  JobRecord job;
  job.id = s.job_id();
  job.spec = s.spec();
  job.owner.uid = s.uid();
  job.owner.gid = s.gid();
  job.owner.groups.assign(s.groups().begin(), s.groups().end());
  job.owner.user = s.user();
  job.owner.host = s.submit_host();
  job.state = FromProto(s.state()).value_or(JobState::kFailed);
  job.reason = s.reason();
  job.partition = s.partition();
  job.time_limit_minutes = s.time_limit_minutes();
  job.submit_time = s.submit_time();
  job.start_time = s.start_time();
  job.end_time = s.end_time();
  for (const auto& a : s.allocation()) {
    job.allocation.push_back({a.node(), {a.core_ids().begin(), a.core_ids().end()}, a.memory_mb(), a.tasks()});
  }
  job.owner.group_names.assign(s.group_names().begin(), s.group_names().end());
  job.holds_resources = s.holds_resources();
  job.exit_code = s.exit_code();
  job.exit_signal = s.exit_signal();
  job.requeue_count = s.requeue_count();
  job.requeue_pending = s.requeue_pending();
  job.held_by_admin = s.held_by_admin();
  job.hold_after_requeue = s.hold_after_requeue();
  job.usage = s.usage();
  job.array_job_id = s.array_job_id();
  if (s.has_array_task()) job.array_task_id = s.array_task_id();
  if (job.array_job_id && !s.has_array_task()) {
    auto remaining = IndexSet::Parse(s.array_remaining());
    job.array_remaining = remaining.ok() ? std::move(*remaining) : IndexSet();
  }
  job.dependency_never = s.dependency_never();
  job.steps.assign(s.steps().begin(), s.steps().end());
  job.next_step_id = s.next_step_id();
  job.warn_signal_sent = s.warn_signal_sent();
  // Checked at submission; a record that no longer parses keeps what it has.
  (void)ParseJobExtras(job);
  return job;
}

void Controller::CommitFailed(const std::vector<uint64_t>& job_ids,
                              const std::vector<std::string>& nodes, bool had_next_job_id) {
  // A submission whose commit failed was already forgotten (SubmitCommitted); TakeBatch skips
  // ids it no longer knows.
  dirty_.insert(job_ids.begin(), job_ids.end());
  dirty_nodes_.insert(nodes.begin(), nodes.end());
  if (had_next_job_id) stored_next_job_id_ = 0;
}

Status Controller::Reconfigure(const Config& config) {
  std::vector<std::string> in_use;
  for (const auto& [id, job] : jobs_) {
    if (!IsFinished(job.state)) in_use.push_back(job.partition);
  }
  ReconfigurePlan plan = PlanReconfigure(config_, config, in_use);
  if (!plan.needs_restart.empty()) {
    std::string list;
    for (const auto& r : plan.needs_restart) list += (list.empty() ? "" : "; ") + r;
    return Status::Unsupported("these changes need a restart of the daemons named: " + list +
                               ". Undo them, or restart those daemons; nothing was changed");
  }
  // Every difference left is one the controller reads at its next use, so the new
  // configuration can replace the old whole.
  const bool policy_changed = config.topology_policy != config_.topology_policy;
  config_ = config;
  for (const auto& n : config_.nodes) {
    if (nodes_.count(n.name)) continue;
    NodeRecord r;
    r.config = n;
    r.reason = "Not registered yet";
    nodes_.emplace(n.name, std::move(r));
  }
  // Each node's last report is weighed again: `config` lifts an INVALID at once.
  if (policy_changed) {
    for (auto& [name, node] : nodes_) ApplyTopologyPolicy(node);
  }
  last_reconfigure_changes_ = std::move(plan.changes);
  return Status::Ok();
}

Status Controller::UpdatePartition(const v1::UpdatePartitionRequest& request, const Identity& who) {
  if (!IsOperator(config_, who)) {
    return Status::PermissionDenied(
        "access/permission denied: only root and the operators named in the configuration may change "
        "partition " + request.name());
  }
  PartitionConfig* part = nullptr;
  for (auto& p : config_.partitions) {
    if (p.name == request.name()) part = &p;
  }
  if (part == nullptr) return Status::NotFound("invalid partition name specified: " + request.name());
  std::string word = request.state();
  std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::toupper(c); });
  static const std::map<std::string, PartitionState> kStates = {{"UP", PartitionState::kUp},
                                                               {"DOWN", PartitionState::kDown},
                                                               {"DRAIN", PartitionState::kDrain},
                                                               {"INACTIVE", PartitionState::kInactive}};
  auto it = kStates.find(word);
  if (it == kStates.end()) {
    return Status::InvalidArgument("invalid partition state '" + request.state() +
                                   "': use UP, DOWN, DRAIN or INACTIVE");
  }
  part->state = it->second;
  part->up = part->state == PartitionState::kUp || part->state == PartitionState::kDrain;
  feasible_.clear();  // verdicts weighed the old state (a draining partition refuses jobs)
  return Status::Ok();
}

std::vector<v1::CancelResult> Controller::UpdateNodes(const v1::UpdateNodeRequest& request,
                                                      const Identity& who,
                                                      std::vector<SignalAction>* actions) {
  std::vector<v1::CancelResult> results;
  const bool needs_reason =
      request.action() == v1::NODE_ACTION_DRAIN || request.action() == v1::NODE_ACTION_DOWN;
  for (const std::string& name : request.nodes()) {
    v1::CancelResult& r = results.emplace_back();
    r.set_job_id_text(name);
    auto refuse = [&](v1::ErrorCode code, const std::string& why) {
      r.set_code(code);
      r.set_message(why);
    };
    if (!IsOperator(config_, who)) {
      refuse(v1::ERROR_CODE_PERMISSION_DENIED,
             "access/permission denied: only root and the operators named in the configuration "
             "may change node " + name);
      continue;
    }
    auto it = nodes_.find(name);
    if (it == nodes_.end()) {
      refuse(v1::ERROR_CODE_NOT_FOUND, "invalid node name specified: " + name);
      continue;
    }
    if (needs_reason && request.reason().empty()) {
      refuse(v1::ERROR_CODE_INVALID_ARGUMENT,
             "a reason is required to drain or down a node (Reason=...)");
      continue;
    }
    NodeRecord& node = it->second;
    switch (request.action()) {
      case v1::NODE_ACTION_DRAIN:
        node.drain = true;
        break;
      case v1::NODE_ACTION_DOWN:
        node.admin_down = true;
        for (auto& [id, job] : jobs_) {
          if (IsFinished(job.state) || !job.holds_resources) continue;
          const bool uses_node = std::any_of(job.allocation.begin(), job.allocation.end(),
                                             [&](const auto& a) { return a.node == name; });
          if (!uses_node) continue;
          // The node still answers: it kills the job and reports, which frees the cores.
          actions->push_back({job.allocation.front().node, id, 0});
          if (Requeues(job)) {
            // Requeued once the node reports the killed run's end (as `scontrol requeue`).
            job.requeue_pending = true;
            job.hold_after_requeue = false;
            job.reason = "NodeDown";
          } else {
            FinishJob(job, JobState::kNodeFail, "NodeDown");
          }
          MarkDirty(id);
        }
        break;
      case v1::NODE_ACTION_RESUME:
        // Also lifts a drain the node's own failure caused (prolog, epilog, cgroup setup).
        if (node.drained) node.reason.clear();
        node.drain = false;
        node.drained = false;
        node.admin_down = false;
        break;
      default:
        refuse(v1::ERROR_CODE_INVALID_ARGUMENT, "unknown node state change");
        continue;
    }
    if (request.action() == v1::NODE_ACTION_RESUME) {
      node.admin_reason.clear();
      node.admin_user.clear();
      node.admin_time = 0;
      if (node.invalid) {
        // What the operator lifted is lifted; the hardware shortfall is not theirs to waive.
        refuse(v1::ERROR_CODE_INVALID_ARGUMENT,
               "node " + name + " stays INVALID: " + node.invalid_reason +
                   " (topology_policy strict); it takes jobs once it registers with that hardware, "
                   "or its entry or topology_policy changes");
      }
    } else {
      node.admin_reason = request.reason();
      node.admin_user = who.user;
      node.admin_time = Now();
    }
    dirty_nodes_.insert(name);
  }
  return results;
}

StoreBatch Controller::TakeBatch() {
  StoreBatch batch;
  for (uint64_t id : dirty_) {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) continue;
    JobRecord& job = it->second;
    // A new batch job's script and environment go to the store once, in the same transaction
    // as the job, and leave memory: the launch reads them back (CtldServer::AddPayload). A job
    // loaded from a store that kept them in its row moves them the same way at its next change.
    // An array's elements share the array's.
    if (!job.spec.interactive() && !job.spec.script().empty()) {
      v1::JobSpec payload;
      payload.mutable_script()->swap(*job.spec.mutable_script());
      payload.mutable_environment()->Swap(job.spec.mutable_environment());
      batch.payloads.emplace_back(job.array_job_id ? job.array_job_id : job.id, payload.SerializeAsString());
    }
    batch.jobs.push_back(ToStored(job));
  }
  dirty_.clear();
  for (const std::string& name : dirty_nodes_) {
    const NodeRecord& n = nodes_.at(name);
    v1::StoredNode& out = batch.nodes.emplace_back();
    out.set_name(name);
    out.set_drain(n.drain);
    out.set_admin_down(n.admin_down);
    out.set_reason(n.admin_reason);
    out.set_user(n.admin_user);
    out.set_time(n.admin_time);
  }
  dirty_nodes_.clear();
  if (next_job_id_ != stored_next_job_id_) {
    batch.next_job_id = next_job_id_;
    stored_next_job_id_ = next_job_id_;
  }
  return batch;
}

void Controller::SubmitCommitted(uint64_t job_id, const Status& status) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  Touch(job_id);
  if (status.ok()) {
    it->second.durable = true;
  } else {
    jobs_.erase(it);  // never acknowledged, so never accepted
  }
}

void Controller::Restore(const StoredState& state, std::chrono::seconds grace) {
  next_job_id_ = std::max(next_job_id_, state.next_job_id);
  stored_next_job_id_ = next_job_id_;
  for (const v1::StoredNode& stored : state.nodes) {
    auto it = nodes_.find(stored.name());
    if (it == nodes_.end()) continue;  // no longer configured
    it->second.drain = stored.drain();
    it->second.admin_down = stored.admin_down();
    it->second.admin_reason = stored.reason();
    it->second.admin_user = stored.user();
    it->second.admin_time = stored.time();
  }
  for (const auto* list : {&state.unfinished, &state.recently_finished}) {
    for (const auto& stored : *list) {
      JobRecord job = FromStored(stored);
      next_job_id_ = std::max(next_job_id_, job.id + 1);
      if (job.holds_resources) {
        std::vector<sched::Allocation> known;
        for (const auto& a : job.allocation) {
          if (nodes_.count(a.node)) known.push_back(a);
        }
        Allocate(known);
        // No node reports an interactive job (it has no batch stepd); its steps report.
        job.confirmed = job.spec.interactive();
      }
      jobs_[job.id] = std::move(job);
    }
  }
  view_all_dirty_ = true;
  grace_until_ = clock_.MonotonicNow() + grace;
}

void Controller::ControlOne(v1::ControlAction action, JobRecord& job, const Identity& who, v1::CancelResult& r,
                            std::vector<SignalAction>* actions) {
  const bool is_operator = IsOperator(config_, who);
  if (!MayActOn(config_, who, job.owner.uid)) {
    r.set_code(v1::ERROR_CODE_PERMISSION_DENIED);
    r.set_message("access/permission denied: job " + std::to_string(job.id) + " belongs to " + job.owner.user);
    return;
  }
  auto refuse = [&](const std::string& why) {
    r.set_code(v1::ERROR_CODE_INVALID_ARGUMENT);
    r.set_message(why);
  };
  switch (action) {
    case v1::CONTROL_ACTION_HOLD:
      if (job.state != JobState::kPending) {
        refuse("job is not pending: only pending jobs can be held");
        break;
      }
      job.spec.set_hold(true);
      job.held_by_admin = is_operator && who.uid != job.owner.uid;
      job.reason = job.held_by_admin ? "JobHeldAdmin" : "JobHeldUser";
      MarkDirty(job.id);
      break;
    case v1::CONTROL_ACTION_RELEASE:
      if (job.state != JobState::kPending || !job.spec.hold()) {
        refuse("job is not held");
        break;
      }
      if (job.held_by_admin && !is_operator) {
        r.set_code(v1::ERROR_CODE_PERMISSION_DENIED);
        r.set_message("job was held by an administrator; only root or an operator can release it");
        break;
      }
      job.spec.set_hold(false);
      job.held_by_admin = false;
      job.reason = "None";
      MarkDirty(job.id);
      NoteJustChanged(job.id);
      break;
    case v1::CONTROL_ACTION_REQUEUE:
    case v1::CONTROL_ACTION_REQUEUE_HOLD: {
      const bool hold = action == v1::CONTROL_ACTION_REQUEUE_HOLD;
      if (job.state == JobState::kPending) {
        if (hold) {
          job.spec.set_hold(true);
          job.reason = "JobHeldUser";
          MarkDirty(job.id);
        } else {
          refuse("job is pending: there is nothing to requeue");
        }
        break;
      }
      if (job.state == JobState::kRunning || job.holds_resources) {
        // Stop the running instance; the job returns to pending when the node confirms.
        if (!job.requeue_pending) actions->push_back({job.allocation.front().node, job.id, 0});
        job.requeue_pending = true;
        job.hold_after_requeue = hold;
        if (job.state != JobState::kRunning) job.state = JobState::kRunning;
        job.reason = "Requeued";
        MarkDirty(job.id);
        break;
      }
      // Finished: run it again.
      job.spec.set_hold(hold);
      ReturnToPending(job, hold ? "JobHeldUser" : "None", Run::kNext);
      MarkDirty(job.id);
      break;
    }
    default:
      refuse("unknown control action");
  }
}

std::vector<v1::CancelResult> Controller::Control(v1::ControlAction action, const std::vector<uint64_t>& ids,
                                                  const std::vector<std::string>& id_texts, const Identity& who,
                                                  std::vector<SignalAction>* actions) {
  std::vector<v1::CancelResult> results;
  NamedActions act;
  act.whole = [&](uint64_t id, v1::CancelResult& r) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || !it->second.durable) {
      r.set_code(v1::ERROR_CODE_NOT_FOUND);
      r.set_message("invalid job id specified");
      return;
    }
    ControlOne(action, it->second, who, r, actions);
  };
  act.element = [&](JobRecord& e, v1::CancelResult& one) {
    ControlOne(action, e, who, one, actions);
    return true;
  };
  // An element that has not started is split off its array's pending record (as Slurm does),
  // but only when the action succeeds on it, so that a refused action leaves the array as it was.
  act.pending = [&](JobRecord& array, uint32_t task, v1::CancelResult& one) {
    JobRecord probe = array;  // the element as it would be, to learn the verdict first
    ControlOne(action, probe, who, one, actions);
    if (one.code() == v1::ERROR_CODE_UNSPECIFIED) ControlOne(action, SplitElement(array, task), who, one, actions);
  };
  for (uint64_t id : ids) {
    v1::CancelResult r;
    r.set_job_id(id);
    act.whole(id, r);
    results.push_back(r);
  }
  for (const auto& text : id_texts) results.push_back(ActOnNamed(text, act));
  return results;
}

namespace {

// Whether the owner of `job` may run jobs in `p` (the scheduler's rule, asked at update time).
bool OwnerAllowed(const JobRecord& job, const PartitionConfig& p) {
  if (p.allow_users.empty() && p.allow_groups.empty()) return true;
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  if (has(p.allow_users, job.owner.user)) return true;
  for (const auto& g : job.owner.group_names) {
    if (has(p.allow_groups, g)) return true;
  }
  return false;
}

}  // namespace

std::vector<v1::CancelResult> Controller::UpdateJob(const v1::UpdateJobRequest& request,
                                                    const Identity& who) {
  std::vector<v1::CancelResult> results;
  NamedActions act;
  act.whole = [&](uint64_t id, v1::CancelResult& r) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || !it->second.durable) {
      r.set_code(v1::ERROR_CODE_NOT_FOUND);
      r.set_message("invalid job id specified");
      return;
    }
    UpdateOne(request, it->second, who, r);
  };
  act.element = [&](JobRecord& e, v1::CancelResult& one) {
    UpdateOne(request, e, who, one);
    return true;
  };
  // A not-started element is split off its array's pending record only when the update holds
  // for it (the array's record as the element would be decides), as hold and release do.
  act.pending = [&](JobRecord& array, uint32_t task, v1::CancelResult& one) {
    JobRecord probe = array;
    UpdateOne(request, probe, who, one);
    if (one.code() == v1::ERROR_CODE_UNSPECIFIED) UpdateOne(request, SplitElement(array, task), who, one);
  };
  for (uint64_t id : request.job_ids()) {
    v1::CancelResult r;
    r.set_job_id(id);
    act.whole(id, r);
    results.push_back(r);
  }
  for (const auto& text : request.job_id_texts()) results.push_back(ActOnNamed(text, act));
  return results;
}

void Controller::UpdateOne(const v1::UpdateJobRequest& request, JobRecord& job, const Identity& who,
                           v1::CancelResult& r) {
  const uint64_t id = job.id;
  const bool is_operator = IsOperator(config_, who);
  auto fail = [&](v1::ErrorCode code, const std::string& why) {
    r.set_code(code);
    r.set_message(why);
  };
  if (!MayActOn(config_, who, job.owner.uid)) {
    return fail(v1::ERROR_CODE_PERMISSION_DENIED,
                "access/permission denied: job " + std::to_string(id) + " belongs to " + job.owner.user);
  }
  if (!request.set_time_limit() && !request.add_time_limit() && request.partition().empty()) {
    return fail(v1::ERROR_CODE_INVALID_ARGUMENT, "nothing to change: give TimeLimit= and/or Partition=");
  }
  if (request.set_time_limit() && request.add_time_limit()) {
    return fail(v1::ERROR_CODE_INVALID_ARGUMENT, "give either a time limit or an amount to add to it, not both");
  }
  if (IsFinished(job.state)) return fail(v1::ERROR_CODE_INVALID_ARGUMENT, "job has already finished");
  const bool running = job.state != JobState::kPending;
  if (running && !request.partition().empty()) {
    return fail(v1::ERROR_CODE_INVALID_ARGUMENT,
                "job " + std::to_string(id) + " is running: only a pending job can change partition");
  }
  const PartitionConfig* part =
      config_.FindPartition(request.partition().empty() ? job.partition : request.partition());
  if (part == nullptr) {
    return fail(v1::ERROR_CODE_INVALID_ARGUMENT, "invalid partition name specified: " + request.partition());
  }
  if (!request.partition().empty() && !OwnerAllowed(job, *part)) {
    return fail(v1::ERROR_CODE_PERMISSION_DENIED, "user " + job.owner.user + " may not use partition " + part->name);
  }
  uint32_t limit = job.time_limit_minutes;
  if (request.add_time_limit()) {
    auto moved = MoveTimeLimit(job.time_limit_minutes, request.time_limit_delta_minutes());
    if (!moved.ok()) {
      return fail(v1::ERROR_CODE_INVALID_ARGUMENT, "job " + std::to_string(id) + ": " + moved.status().message());
    }
    limit = *moved;
  } else if (request.set_time_limit()) {
    limit = request.time_limit_minutes();
    if (limit == 0) {
      return fail(v1::ERROR_CODE_INVALID_ARGUMENT, "a time limit of 0 is not allowed: give minutes or UNLIMITED");
    }
  }
  if (limit > job.time_limit_minutes && !is_operator) {
    return fail(v1::ERROR_CODE_PERMISSION_DENIED,
                "only root and operators may raise a time limit (job " + std::to_string(id) + " has " +
                    FormatTimeLimit(job.time_limit_minutes) + ", asked " + FormatTimeLimit(limit) + ")");
  }
  const uint32_t part_max = part->max_time_minutes ? part->max_time_minutes : kUnlimitedMinutes;
  if (part_max != kUnlimitedMinutes && limit > part_max) {
    return fail(v1::ERROR_CODE_INVALID_ARGUMENT, "time limit " + FormatTimeLimit(limit) +
                                                     " exceeds the limit of partition " + part->name + " (" +
                                                     FormatTimeLimit(part_max) + ")");
  }
  const bool changed = job.time_limit_minutes != limit;
  job.time_limit_minutes = limit;
  if (running && changed) {
    // The nodes enforce it: each one's stepds move their deadline.
    const bool unlimited = limit == kUnlimitedMinutes;
    const int64_t end = unlimited ? 0 : job.start_time + int64_t{limit} * 60;
    if (!unlimited && job.spec.signal_number() != 0 && Now() < end - int64_t{job.spec.signal_time_s()}) {
      job.warn_signal_sent = false;  // due again before the new end
    }
    for (auto& step : job.steps) {
      if (!unlimited && step.signal_number() != 0 && Now() < end - int64_t{step.signal_time_s()}) {
        step.set_warn_signal_sent(false);
      }
    }
    for (const auto& a : job.allocation) {
      limit_updates_.push_back({a.node, id, unlimited ? 0 : limit, end});
    }
  }
  if (!request.partition().empty()) {
    job.partition = part->name;
    job.spec.set_partition(part->name);
  }
  MarkDirty(id);
  if (!running) NoteJustChanged(id);  // a shorter limit or another partition may let it start
}

v1::LaunchJobRequest Controller::MakeLaunch(const JobRecord& job) const {
  v1::LaunchJobRequest launch;
  launch.set_job_id(job.id);
  launch.set_run(job.requeue_count);
  *launch.mutable_spec() = job.spec;
  launch.set_uid(job.owner.uid);
  launch.set_gid(job.owner.gid);
  for (uint32_t g : job.owner.groups) launch.add_groups(g);
  launch.set_user(job.owner.user);
  std::vector<std::string> names;
  for (const auto& a : job.allocation) {
    ToProto(a, launch.add_allocation());
    names.push_back(a.node);
  }
  launch.set_node_list(CompressHostlist(names));
  launch.set_partition(job.partition);
  launch.set_cluster_name(config_.cluster_name);
  launch.set_time_limit_minutes(job.time_limit_minutes == kUnlimitedMinutes ? 0 : job.time_limit_minutes);
  if (job.array_job_id && job.array_task_id) {
    launch.set_array_job_id(job.array_job_id);
    launch.set_array_task_id(*job.array_task_id);
    launch.set_array_task_count(job.array_count);
    launch.set_array_task_min(job.array_min);
    launch.set_array_task_max(job.array_max);
    launch.set_array_task_step(job.array_step);
    // %A and %a are known here; the node expands the rest of the pattern.
    auto* spec = launch.mutable_spec();
    spec->set_stdout_pattern(ExpandArrayPattern(spec->stdout_pattern(), job.array_job_id, *job.array_task_id));
    spec->set_stderr_pattern(ExpandArrayPattern(spec->stderr_pattern(), job.array_job_id, *job.array_task_id));
  }
  return launch;
}

// ---------------------------------------------------------------------------------------------
// Steps

v1::StepInfo* Controller::FindStep(JobRecord& job, uint32_t step_id) {
  for (auto& step : job.steps) {
    if (step.step_id() == step_id) return &step;
  }
  return nullptr;
}

void Controller::ReleaseIfIdle(JobRecord& job) {
  if (!job.spec.interactive() || !IsFinished(job.state)) return;
  if (std::any_of(job.steps.begin(), job.steps.end(), StepRunning)) return;
  ReleaseResources(job);
  MarkDirty(job.id);
}

void Controller::SignalSteps(JobRecord& job, int32_t signal) {
  std::set<std::string> nodes;
  for (const auto& step : job.steps) nodes.insert(step.nodes_running().begin(), step.nodes_running().end());
  for (const auto& node : nodes) signals_.push_back({node, job.id, signal});
}

void Controller::EndSteps(JobRecord& job, JobState state, const std::string& reason) {
  for (auto& step : job.steps) {
    if (!StepRunning(step)) continue;
    step.clear_nodes_running();
    step.set_state(ToProto(state));
    step.set_reason(reason);
    step.set_end_time(Now());
  }
}

void Controller::SendWarnSignals() {
  const int64_t now = Now();
  RefreshView();
  for (uint64_t id : running_) {
    JobRecord& job = jobs_.at(id);
    // A job reloaded at start waits for its node to report it: before that no signal can land.
    if (job.state != JobState::kRunning || !job.confirmed || job.time_limit_minutes == kUnlimitedMinutes ||
        job.allocation.empty()) {
      continue;
    }
    const int64_t end = job.start_time + int64_t{job.time_limit_minutes} * 60;
    // srun --signal: each step's own signal, to that step's tasks alone. A step ends with its
    // job's limit (drover has no step time limits), so the job's end is the step's.
    for (auto& step : job.steps) {
      if (!StepRunning(step) || step.signal_number() == 0 || step.warn_signal_sent() ||
          now < end - int64_t{step.signal_time_s()}) {
        continue;
      }
      step.set_warn_signal_sent(true);
      MarkDirty(id);
      for (const auto& node : step.nodes_running()) {
        signals_.push_back({node, id, step.signal_number(), false, true, step.step_id()});
      }
    }
    if (job.warn_signal_sent || job.spec.signal_number() == 0) continue;
    if (now < end - int64_t{job.spec.signal_time_s()}) continue;
    job.warn_signal_sent = true;
    MarkDirty(id);
    const int32_t sig = job.spec.signal_number();
    if (job.spec.signal_batch_only()) {
      if (!job.spec.interactive()) signals_.push_back({job.allocation.front().node, id, sig, true, false});
      continue;
    }
    std::set<std::string> nodes;
    for (const auto& step : job.steps) nodes.insert(step.nodes_running().begin(), step.nodes_running().end());
    for (const auto& node : nodes) signals_.push_back({node, id, sig, false, true});
  }
}

std::vector<LimitAction> Controller::TakeLimitUpdates() {
  std::vector<LimitAction> out;
  out.swap(limit_updates_);
  return out;
}

std::vector<SignalAction> Controller::TakeSignals() {
  std::vector<SignalAction> out;
  out.swap(signals_);
  return out;
}

Result<StepLaunch> Controller::CreateStep(const v1::CreateStepRequest& request, const Identity& who,
                                          const std::string& io_key) {
  const uint64_t id = request.job_id();
  auto it = jobs_.find(id);
  if (it == jobs_.end() || !it->second.durable || it->second.IsArrayRemainder()) {
    return Status::NotFound("Invalid job id specified: job " + std::to_string(id) + " is not known");
  }
  JobRecord& job = it->second;
  if (who.uid != 0 && who.uid != job.owner.uid) {
    return Status::PermissionDenied("Access/permission denied: job " + std::to_string(id) +
                                    " belongs to " + job.owner.user);
  }
  StepLaunch out;
  if (job.state == JobState::kPending) {
    out.response.set_pending(true);
    out.response.set_job_id(id);
    return out;
  }
  if (job.state != JobState::kRunning || !job.holds_resources || job.requeue_pending) {
    return Status::InvalidArgument("Job/step already completing or completed: job " + std::to_string(id) +
                                   " is " + std::string(JobStateName(job.state)));
  }
  const auto& spec = request.spec();
  if (spec.argv_size() == 0 || spec.argv(0).empty()) return Status::InvalidArgument("no command to run");
  for (const auto& a : spec.argv()) {
    if (a.find('\0') != std::string::npos) return Status::InvalidArgument("an argument contains a NUL byte");
  }
  if (spec.name().size() > kMaxNameBytes || HasControlCharacters(spec.name())) {
    return Status::InvalidArgument("the step name is too long or has control characters");
  }
  std::vector<StepLayoutNode> nodes;
  for (const auto& a : job.allocation) nodes.push_back({a.node, static_cast<uint32_t>(a.core_ids.size())});
  StepRequest req;
  req.nodes = spec.nodes();
  req.nodes_soft = spec.nodes_from_env();
  req.ntasks = spec.ntasks();
  req.cpus_per_task = spec.cpus_per_task();
  req.ntasks_per_node = spec.ntasks_per_node();
  req.nodelist.assign(spec.nodelist().begin(), spec.nodelist().end());
  auto layout = LayOutStep(nodes, req);
  if (!layout.ok()) return layout.status();

  const uint32_t step_id = job.next_step_id++;
  const uint32_t cpt = std::max<uint32_t>(spec.cpus_per_task(), 1);
  std::vector<std::string> names;
  uint32_t ntasks = 0;
  std::vector<v1::StepNode> step_nodes;
  for (const auto& p : *layout) {
    names.push_back(p.node);
    ntasks += static_cast<uint32_t>(p.task_ids.size());
    v1::StepNode n;
    n.set_node(p.node);
    const NodeConfig* nc = config_.FindNode(p.node);
    n.set_address(nc ? nc->address : p.node);
    for (uint32_t t : p.task_ids) n.add_task_ids(t);
    n.set_cpus(p.cpus);
    step_nodes.push_back(std::move(n));
  }
  const std::string node_list = CompressHostlist(names);
  v1::StepInfo info;
  info.set_step_id(step_id);
  std::string name = spec.name();
  if (name.empty()) {
    name = spec.argv(0).substr(spec.argv(0).rfind('/') + 1);
    if (name.size() > kMaxNameBytes || HasControlCharacters(name)) name = "step";
  }
  info.set_name(name);
  info.set_state(v1::JOB_STATE_RUNNING);
  info.set_start_time(Now());
  info.set_node_list(node_list);
  info.set_ntasks(ntasks);
  info.set_cpus(ntasks * cpt);
  for (const auto& n : names) info.add_nodes_running(n);
  info.set_signal_number(spec.signal_number());
  info.set_signal_time_s(spec.signal_time_s());
  job.steps.push_back(info);
  MarkDirty(id);

  v1::LaunchJobRequest job_launch = MakeLaunch(job);
  job_launch.mutable_spec()->clear_script();
  job_launch.mutable_spec()->clear_environment();
  const int64_t deadline = job.time_limit_minutes == kUnlimitedMinutes
                               ? 0
                               : job.start_time + int64_t{job.time_limit_minutes} * 60;
  for (const auto& n : step_nodes) {
    LaunchStepAction a;
    a.node = n.node();
    auto& r = a.request;
    r.set_job_id(id);
    r.set_step_id(step_id);
    *r.mutable_spec() = spec;
    r.mutable_spec()->set_name(name);
    r.set_uid(job.owner.uid);
    r.set_gid(job.owner.gid);
    for (uint32_t g : job.owner.groups) r.add_groups(g);
    r.set_user(job.owner.user);
    r.set_io_key(io_key);
    for (const auto& m : step_nodes) *r.add_layout() = m;
    r.set_node_list(node_list);
    *r.mutable_job() = job_launch;
    r.set_deadline(deadline);
    out.launches.push_back(std::move(a));
  }
  auto& resp = out.response;
  resp.set_job_id(id);
  resp.set_step_id(step_id);
  resp.set_io_key(io_key);
  for (const auto& n : step_nodes) *resp.add_nodes() = n;
  resp.set_node_list(node_list);
  resp.set_ntasks(ntasks);
  return out;
}

void Controller::StepLaunchFailed(uint64_t job_id, uint32_t step_id, const std::string& node,
                                  const Status& why) {
  v1::StepFinishedRequest r;
  r.set_job_id(job_id);
  r.set_step_id(step_id);
  r.set_node(node);
  r.set_state(v1::JOB_STATE_FAILED);
  r.set_exit_code(1);
  r.set_reason("launch failed on " + node + ": " + why.message());
  (void)StepFinished(r);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  if (v1::StepInfo* step = FindStep(it->second, step_id)) {
    for (const auto& n : step->nodes_running()) signals_.push_back({n, job_id, 0});
  }
}

Status Controller::StepFinished(const v1::StepFinishedRequest& request) {
  auto it = jobs_.find(request.job_id());
  if (it == jobs_.end()) return Status::Ok();  // already forgotten
  JobRecord& job = it->second;
  v1::StepInfo* step = FindStep(job, request.step_id());
  if (step == nullptr) return Status::Ok();
  auto* running = step->mutable_nodes_running();
  auto pos = std::find(running->begin(), running->end(), request.node());
  if (pos == running->end()) return Status::Ok();  // a repeated report
  running->erase(pos);
  MarkDirty(job.id);
  step->set_exit_code(std::max(step->exit_code(), request.exit_code()));
  if (request.exit_signal() != 0 && step->exit_signal() == 0) step->set_exit_signal(request.exit_signal());
  const v1::JobState reported = request.state() == v1::JOB_STATE_UNSPECIFIED ? v1::JOB_STATE_FAILED : request.state();
  if (step->state() == v1::JOB_STATE_RUNNING || step->state() == v1::JOB_STATE_COMPLETED) {
    step->set_state(reported);
  }
  if (!request.reason().empty() && step->reason().empty()) step->set_reason(request.reason());
  if (!StepRunning(*step)) {
    step->set_end_time(Now());
    if (step->state() == v1::JOB_STATE_RUNNING) step->set_state(v1::JOB_STATE_COMPLETED);
  }
  // srun's own allocation ends with its step, also when srun died without saying so.
  if (job.spec.interactive() && job.spec.end_with_steps() && job.state == JobState::kRunning &&
      std::none_of(job.steps.begin(), job.steps.end(), StepRunning)) {
    job.exit_code = step->exit_code();
    job.exit_signal = step->exit_signal();
    const bool ok = step->state() == v1::JOB_STATE_COMPLETED;
    FinishJob(job, ok ? JobState::kCompleted : JobState::kFailed, ok ? "None" : "NonZeroExitCode");
  }
  ReleaseIfIdle(job);
  return Status::Ok();
}

Status Controller::CompleteJob(const v1::CompleteJobRequest& request, const Identity& who) {
  auto it = jobs_.find(request.job_id());
  if (it == jobs_.end()) return Status::NotFound("job " + std::to_string(request.job_id()) + " is not known");
  JobRecord& job = it->second;
  if (who.uid != 0 && who.uid != job.owner.uid) {
    return Status::PermissionDenied("Access/permission denied: job " + std::to_string(job.id) +
                                    " belongs to " + job.owner.user);
  }
  if (!job.spec.interactive()) {
    return Status::InvalidArgument("job " + std::to_string(job.id) + " is a batch job: it ends with its script");
  }
  MarkDirty(job.id);
  if (job.state == JobState::kPending) {
    FinishJob(job, JobState::kCancelled, "None");
    return Status::Ok();
  }
  if (!IsFinished(job.state)) {
    job.exit_code = request.exit_code();
    job.exit_signal = request.exit_signal();
    const bool ok = request.exit_code() == 0 && request.exit_signal() == 0;
    FinishJob(job, ok ? JobState::kCompleted : JobState::kFailed, ok ? "None" : "NonZeroExitCode");
  }
  SignalSteps(job, 0);
  ReleaseIfIdle(job);
  return Status::Ok();
}

}  // namespace drover::ctld
