// Controller: the cluster state of drover-ctld (jobs, nodes, partitions) and every rule that
// changes it, without any I/O.
//
// The RPC layer (ctld/server.h) verifies who is asking, calls one method here, sends the
// reply, and carries out the returned actions (launches, signals) on the network. Time comes
// from the injected Clock. Not thread-safe: ctld calls it from its single io_context thread.
//
// Jobs are kept in memory in this version; the durable store (issue #4) replaces that.
// The job spec is kept in its wire form (v1::JobSpec) because ctld only stores and forwards it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config.h"
#include "common/job.h"
#include "common/status.h"
#include "ctld/array_spec.h"
#include "ctld/dependency.h"
#include "ctld/sched/scheduler.h"
#include "ctld/store/store.h"
#include "ctld/topology_policy.h"
#include "drover/v1/drover.pb.h"

namespace drover::ctld {

// Who sent a request, as established by a verified credential.
struct Identity {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;
  std::string user;  // resolved on the controller host; the uid in decimal if unknown
  std::string host;  // where the credential was issued
  std::vector<std::string> group_names;  // resolved on the controller host (partition access)
};

struct JobRecord {
  uint64_t id = 0;
  v1::JobSpec spec;
  Identity owner;
  JobState state = JobState::kPending;
  std::string reason = "None";
  std::string partition;
  uint32_t time_limit_minutes = 0;  // effective; kUnlimitedMinutes when none
  int64_t submit_time = 0;
  int64_t start_time = 0;
  int64_t end_time = 0;
  std::vector<sched::Allocation> allocation;  // core ids per node
  bool holds_resources = false;  // true from start until the node reports the end
  int32_t exit_code = 0;
  int32_t exit_signal = 0;
  uint32_t requeue_count = 0;
  bool requeue_pending = false;     // the running instance is being stopped to requeue
  bool hold_after_requeue = false;
  bool held_by_admin = false;
  bool durable = true;              // false until the submission's commit succeeded
  bool confirmed = true;            // false for a running job reloaded at start until its node reports it
  v1::JobUsage usage;

  // Arrays. The record of an array (id N, array_job_id N) holds the not-started indices in
  // `array_remaining`; an element gets a record of its own (a fresh id, array_job_id N,
  // array_task_id) only when it starts or is cancelled. The last index to leave the remainder
  // takes the array's own record, as in Slurm, so JobIdRaw N is one of the elements.
  uint64_t array_job_id = 0;
  std::optional<uint32_t> array_task_id;
  std::optional<IndexSet> array_remaining;  // set while this is the array's remainder record
  uint32_t array_max_running = 0;           // %M; 0 = no limit
  // SLURM_ARRAY_TASK_{COUNT,MIN,MAX,STEP}, parsed once rather than at every element's launch.
  uint32_t array_count = 0, array_min = 0, array_max = 0, array_step = 1;

  Dependency dependency;         // parsed spec.dependency; emptied once satisfied
  // Decided DependencyNeverSatisfied, kept even once the targets are purged. Such a job stays
  // PENDING until cancelled; Slurm's kill_invalid_depend (cancel it at once) would be a future
  // `scheduling.kill_invalid_depend` setting.
  bool dependency_never = false;

  // Job steps (srun), by step id. A step is running while some of its nodes have not reported
  // its end (`nodes_running`).
  std::vector<v1::StepInfo> steps;
  uint32_t next_step_id = 0;

  // sbatch --signal went out for this run (saved: a restarted controller sends it once only).
  bool warn_signal_sent = false;
  // Pending: the start the last pass reserved for it (squeue --start); 0 = none.
  int64_t expected_start = 0;

  bool IsArrayRemainder() const { return array_remaining.has_value(); }
};

struct NodeRecord {
  // The entry in effect: the configuration's, or the node's hardware report under
  // topology_policy hardware.
  NodeConfig config;
  bool registered = false;
  bool down = false;    // stopped answering (reason says so)
  std::string reason;
  // Set by root or an operator (scontrol update), kept in the store across restarts.
  bool drain = false;       // no new jobs (`drained` above is the node's own failure)
  bool admin_down = false;  // out of service
  std::string admin_reason;
  std::string admin_user;
  int64_t admin_time = 0;
  // The hardware has less than the entry says (topology_policy strict): no new jobs until the
  // node registers with matching hardware or the configuration changes; an operator's RESUME
  // does not lift it. `invalid_reason` says what differs.
  bool invalid = false;
  std::string invalid_reason;
  std::optional<HardwareReport> report;  // the last topology report; none before one
  std::string hardware;            // DescribeHardware of the last report; "" before one
  std::string logged_difference;   // the topology difference last logged, to log each once
  MonotonicTime last_seen{};
  uint32_t alloc_cpus = 0;  // == used_cores.size()
  uint64_t alloc_memory_mb = 0;
  std::set<uint32_t> used_cores;
  double load = 0;
  uint64_t free_memory_mb = 0;
  std::string cgroups;  // as the node reported it at registration
  bool batch_rpcs = false;  // its noded serves launch_jobs (RegisterNodeRequest.batch_rpcs)
  bool drained = false;  // by a failure the node reported; `reason` says which

  NodeState State() const;
};

struct LaunchAction {
  std::string node;
  v1::LaunchJobRequest request;
};

struct SignalAction {
  std::string node;
  uint64_t job_id = 0;
  int32_t signal = 0;  // 0 = cancel
  bool batch_only = false;  // the batch shell's process alone (sbatch --signal=B:)
  bool steps_only = false;  // the steps' tasks, not the batch script (sbatch --signal=)
  std::optional<uint32_t> step_id = std::nullopt;  // with steps_only: this step's tasks alone (srun --signal)
};

// A running job's new time limit for one of its nodes (scontrol update JobId= TimeLimit=).
struct LimitAction {
  std::string node;
  uint64_t job_id = 0;
  uint32_t time_limit_minutes = 0;  // 0 = unlimited
  int64_t deadline = 0;             // Unix seconds; 0 = none
};

struct LaunchStepAction {
  std::string node;
  v1::LaunchStepRequest request;
};

// A step the controller created: the reply for srun (ports filled in by the server once every
// node answered) and the launches to send.
struct StepLaunch {
  v1::CreateStepResponse response;  // pending = true: the job has not started yet
  std::vector<LaunchStepAction> launches;
};

class Controller {
 public:
  Controller(Config config, const Clock& clock);

  const Config& config() const { return config_; }

  // Validates and queues a job; returns its id. InvalidArgument / PermissionDenied with a
  // message for the user when the job could never run or is not allowed.
  Result<uint64_t> Submit(v1::JobSpec spec, const Identity& who);

  // Cancels (signal 0) or signals jobs. Owners may act on their own jobs, root on any.
  // Unknown and finished ids come back as NOT_FOUND results; the CLI decides whether that
  // is an error (scancel is silent about them with the default signal).
  // A plain id of an array cancels every element; `id_texts` name elements ("12_7",
  // "12_[1-3]"), pending ones included.
  std::vector<v1::CancelResult> Cancel(const std::vector<uint64_t>& ids, int32_t signal,
                                       const Identity& who, std::vector<SignalAction>* actions,
                                       const std::vector<std::string>& id_texts = {});

  // A node daemon (already authenticated as `request.name()`) registers. Its topology report
  // is weighed against its entry by config().topology_policy (ctld/topology_policy.h).
  Result<v1::RegisterNodeResponse> RegisterNode(const v1::RegisterNodeRequest& request);
  // Messages for the daemon's log that rules produced since the last call (a topology
  // difference the config policy keeps, a node made INVALID), each said once.
  std::vector<std::string> TakeNotices() { return std::move(notices_); }
  Result<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& request);
  // The batch script of a job ended on `request.node()`.
  Status JobFinished(const v1::JobFinishedRequest& request);
  // The launch of a job could not be delivered or was refused by the node.
  void LaunchFailed(uint64_t job_id, const std::string& node, uint32_t run, const Status& why);

  // A scheduling pass in three parts, so that its heavy middle runs off the thread that owns
  // the controller (issue #5): PreparePass copies what the scheduler needs and evaluates
  // dependencies; RunPass is the pure scheduler and may run on any thread; ApplyPass carries
  // the plan out, skipping any start that no longer holds (the job is no longer pending or is
  // held, a node is no longer usable, its cores or memory were taken) and setting
  // `*stale` so that the caller runs another pass.
  struct PreparedPass {
    sched::Snapshot snapshot;
    sched::Options options;
    std::map<uint64_t, uint64_t> array_of;  // scheduler-only id -> array id
    std::set<uint64_t> throttled;           // arrays at their %M limit
    std::map<uint64_t, uint32_t> running_elements;
    bool full = true;  // every pending job; else the top of the queue (PreparePass)
  };
  // `full` false: an event-driven pass over the top of the queue only, as Slurm's
  // default_queue_depth, with depth D = config().event_pass_depth: the D first jobs in the last
  // full pass's priority order, the D oldest of the jobs that came since, up to D jobs released,
  // requeued or updated since the last pass, and every waiting array. Its plan
  // changes nothing for the jobs it did not consider, and the priority breakdown stays the full
  // pass's. ctld runs a full pass at least every second or so (CtldServer), so every job gets
  // its reason and priority from one; a queue of at most config().event_pass_threshold pending
  // jobs always gets a full pass.
  PreparedPass PreparePass(bool full = true);
  static sched::Plan RunPass(const PreparedPass& pass);
  // Started jobs become RUNNING and their launches are returned. Launch them only once the
  // batch that records the start is durable.
  std::vector<LaunchAction> ApplyPass(PreparedPass& pass, sched::Plan plan, bool* stale = nullptr);
  // Keeps the storage of a pass that was applied for the next PreparePass (optional).
  void RecyclePass(PreparedPass& pass);
  // For tests: whether the scheduler's view that is kept up to date as jobs change (see
  // pending_view_) equals one built from every job now; the message names the first difference.
  Status CheckSchedulerView();
  // The three parts in a row.
  std::vector<LaunchAction> Schedule();
  // The start of `job_id` could not be made durable: it goes back to pending.
  void RevertStart(uint64_t job_id);

  // hold, release, requeue (and requeue-hold). Owners may hold and release their own jobs;
  // a hold by root on another user's job is an admin hold that only root releases.
  // `id_texts` are array forms ("12_7", "12_[1-3]"); an element that has not started is split
  // off its array's pending record to be held or released on its own.
  std::vector<v1::CancelResult> Control(v1::ControlAction action, const std::vector<uint64_t>& ids,
                                        const std::vector<std::string>& id_texts, const Identity& who,
                                        std::vector<SignalAction>* actions);

  // Durability. Every change to a job marks it dirty; TakeBatch() hands the dirty jobs (and
  // the id sequence) to the store. A submission is visible and schedulable only after
  // SubmitCommitted(id, OK); on failure it is forgotten, as it was never acknowledged.
  StoreBatch TakeBatch();
  void SubmitCommitted(uint64_t job_id, const Status& status);
  // Loads the state saved before a restart. Running jobs are held as running until their node
  // reports them or `grace` passes (then NODE_FAIL). REQUIRES: before any other call.
  void Restore(const StoredState& state, std::chrono::seconds grace);

  static void FillJobInfo(const v1::StoredJob& job, v1::JobInfo* out);

  // Steps. CreateStep lays a step out on a running job's nodes (owner or root); for a pending
  // job it answers `pending`. `io_key` is the step's random I/O key.
  Result<StepLaunch> CreateStep(const v1::CreateStepRequest& request, const Identity& who,
                                const std::string& io_key);
  // A node could not start its part of a step: the step fails; its other nodes are told to
  // end theirs (TakeSignals).
  void StepLaunchFailed(uint64_t job_id, uint32_t step_id, const std::string& node, const Status& why);
  // A node (already authenticated as `request.node()`) reports its part of a step ended.
  Status StepFinished(const v1::StepFinishedRequest& request);
  // srun / salloc ends its interactive allocation (owner or root).
  Status CompleteJob(const v1::CompleteJobRequest& request, const Identity& who);
  // Signals the controller decided on its own (steps left behind by a finished job).
  std::vector<SignalAction> TakeSignals();
  // New time limits of running jobs for their nodes, from UpdateJob.
  std::vector<LimitAction> TakeLimitUpdates();

  // The last full pass's priority breakdown of every pending job, highest first.
  const std::vector<sched::PriorityExplanation>& priorities() const { return priorities_; }
  // sprio's view (`drover queue --explain`, --json): every pending job's breakdown, highest
  // first: the last full pass's rows, and rows computed now, with what that pass measured of the
  // cluster (sched::PriorityContext), for the jobs submitted or changed since (a new job's row is
  // there at once, not a pass later); rows of jobs no longer pending since are left out.
  void VisitPriorities(const std::function<void(const sched::PriorityExplanation&)>& visit) const;
  // Periodic housekeeping: nodes that stopped heartbeating go DOWN (their jobs NODE_FAIL),
  // finished jobs older than min_job_age are dropped.
  void Tick();

  // `viewer` (nullptr: a daemon, sees everything) only matters for a table answer
  // (QueryJobsRequest.table), which leaves out and redacts here what ApplyVisibility would; a
  // JobInfo answer gets ApplyVisibility afterwards.
  v1::QueryJobsResponse QueryJobs(const v1::QueryJobsRequest& request, const Identity* viewer = nullptr) const;
  v1::QueryNodesResponse QueryNodes() const;

  // scontrol update NodeName=... State=DRAIN|RESUME|DOWN: root and operators only, one result
  // per node. DOWN ends the jobs running there as NODE_FAIL and asks the node to kill them.
  std::vector<v1::CancelResult> UpdateNodes(const v1::UpdateNodeRequest& request,
                                            const Identity& who,
                                            std::vector<SignalAction>* actions);
  // scontrol update PartitionName=... State=UP|DOWN|DRAIN|INACTIVE: root and operators only. The
  // state holds until the configuration is read again (Reconfigure, a restart), as drover.yaml
  // stays what it says.
  Status UpdatePartition(const v1::UpdatePartitionRequest& request, const Identity& who);
  // scontrol update JobId=... TimeLimit=... Partition=...: one result per job id and per array
  // text ("12_7", "12_[1-3]"); a job changes only if every part of the request holds for it. The
  // owner may lower the time limit (absolute or TimeLimit-=), root and operators may also raise
  // it. A running job's nodes are told its new limit (TakeLimitUpdates); its partition stays. A
  // new partition must exist, admit the owner and allow the (new) time limit. A not-started
  // element is split off its array's pending record only if the update holds for it.
  std::vector<v1::CancelResult> UpdateJob(const v1::UpdateJobRequest& request, const Identity& who);
  // The batch with these jobs and nodes did not reach the store: write them with the next one.
  void CommitFailed(const std::vector<uint64_t>& job_ids, const std::vector<std::string>& nodes,
                    bool had_next_job_id);
  // SIGHUP and scontrol reconfigure. Refused whole (nothing changes) when a setting that needs a restart differs; see
  // reconfigure_plan.h for which apply live.
  Status Reconfigure(const Config& config);
  // What the last successful Reconfigure changed, one line each.
  const std::vector<std::string>& last_reconfigure_changes() const { return last_reconfigure_changes_; }

  const JobRecord* FindJob(uint64_t id) const;
  // The element `task` of array `array_id` once it has a record of its own.
  const JobRecord* FindElement(uint64_t array_id, uint32_t task) const;
  void ControlOne(v1::ControlAction action, JobRecord& job, const Identity& who, v1::CancelResult& r,
                  std::vector<SignalAction>* actions);
  // UpdateJob's rules for one job record; `r` says why it did not change.
  void UpdateOne(const v1::UpdateJobRequest& request, JobRecord& job, const Identity& who, v1::CancelResult& r);
  // What an action (cancel, hold, ...) does to the jobs a text names: "12" (`whole`), a started
  // element of "12_7" or "12_[1-3]" (`element`: false when it does not count, e.g. finished),
  // a not-started one (`pending`, given the array's pending record and the index).
  struct NamedActions {
    std::function<void(uint64_t id, v1::CancelResult&)> whole;
    std::function<bool(JobRecord& element, v1::CancelResult&)> element;
    std::function<void(JobRecord& array, uint32_t task, v1::CancelResult&)> pending;
  };
  // One result for `text`: the first refusal among its jobs, or "invalid job id" if none counts.
  v1::CancelResult ActOnNamed(const std::string& text, const NamedActions& act);
  // `ids` plus the numeric ids of every element the controller knows of for those that are
  // arrays (sacct -j ARRAY lists every element, CONTRACT.md SA-3).
  std::vector<uint64_t> WithArrayElements(const std::vector<uint64_t>& ids) const;
  const NodeRecord* FindNode(const std::string& name) const;

 private:
  int64_t Now() const { return ToUnixSeconds(clock_.SystemNow()); }
  void FinishJob(JobRecord& job, JobState state, const std::string& reason);
  // Whether a batch job goes back to the queue when its node fails (--requeue, --no-requeue,
  // else scheduling.job_requeue).
  bool Requeues(const JobRecord& job) const;
  // `node` failed under a running job: it ends NODE_FAIL or waits for its next run.
  void NodeFailed(JobRecord& job, const std::string& node);
  // Whether a job sent back to pending starts its next run under a new run number (its old
  // run may still end late on a node) or under the same one (no node ever ran it).
  enum class Run { kSame, kNext };
  void ReturnToPending(JobRecord& job, std::string reason, Run run);
  void ReleaseResources(JobRecord& job);
  std::vector<uint64_t> Reconcile(const std::string& node, const std::vector<uint64_t>& reported);
  // `omit`: bits of v1::JobInfoPart to leave out (QueryJobsRequest.omit).
  static void FillJobInfo(const JobRecord& job, v1::JobInfo* out, uint32_t omit = 0);
  // Every change to a job that the store or the scheduler must see.
  void MarkDirty(uint64_t id) {
    dirty_.insert(id);
    view_dirty_.insert(id);
    unranked_.insert(id);
  }
  // A change the scheduler's view must see (also when the store has it already).
  void Touch(uint64_t id) {
    view_dirty_.insert(id);
    unranked_.insert(id);
  }
  // Brings pending_view_ and the id sets beside it up to date with the jobs touched since.
  void RefreshView();
  void RefreshViewOf(uint64_t id);
  static v1::StoredJob ToStored(const JobRecord& job);
  // The scheduler's view. `idle`: as if no job ran (for submission checks).
  // `buffer`: storage to reuse for the pending list (RecyclePass).
  // `only`: the pending jobs to include (by id); all when null.
  sched::Snapshot BuildSnapshot(bool idle, std::vector<sched::PendingJob> buffer = {},
                                const std::vector<uint64_t>* only = nullptr) const;
  // sched::CheckFeasible against the idle cluster, its verdict kept per request (FeasibilityKey
  // in controller.cc): the idle cluster changes only with a node's entry in effect
  // (ApplyTopologyPolicy clears them), and building it per submission was a tenth of ingest.
  Status CheckFeasible(const JobRecord& job);
  sched::Options SchedOptions() const;
  void Allocate(const std::vector<sched::Allocation>& nodes);
  // Whether the cores and memory of `nodes` are free and the nodes usable right now.
  bool StillFits(const std::vector<sched::Allocation>& nodes) const;
  static JobRecord FromStored(const v1::StoredJob& stored);
  v1::LaunchJobRequest MakeLaunch(const JobRecord& job) const;
  // Parses spec.array and spec.dependency into the record (at submission and at restore).
  static Status ParseJobExtras(JobRecord& job);
  // Gives index `task` of the array record `array` a record of its own and returns it.
  JobRecord& SplitElement(JobRecord& array, uint32_t task);
  void CancelOne(JobRecord& job, int32_t signal, const Identity& who, v1::CancelResult& r,
                 std::vector<SignalAction>* actions);
  // Whether each pending job's dependency is met, computed over every job the controller
  // knows (also the final states of purged ones).
  std::map<uint64_t, DependencyStatus> EvaluateDependencies() const;
  // What is known of the jobs dependencies can name, built once per pass: by job id (an
  // array's elements also count under the array's id) and by (array id, index).
  struct TargetIndex {
    std::unordered_map<uint64_t, TargetState> by_id;
    std::map<std::pair<uint64_t, uint32_t>, TargetState> by_task;
    // Not-started indices of each array and the state of that remainder.
    std::unordered_map<uint64_t, std::pair<const IndexSet*, JobState>> remainders;
    TargetState Lookup(const DependencyItem& item) const;
  };
  TargetIndex BuildTargetIndex() const;
  uint32_t RunningElements(uint64_t array_id) const;
  // Interactive jobs keep their CPUs until their last step is over.
  void ReleaseIfIdle(JobRecord& job);
  void SignalSteps(JobRecord& job, int32_t signal);
  // sbatch --signal: to the batch shell or the steps of every job that reached its time.
  void SendWarnSignals();
  v1::StepInfo* FindStep(JobRecord& job, uint32_t step_id);
  static bool StepRunning(const v1::StepInfo& step) { return step.nodes_running_size() > 0; }
  void EndSteps(JobRecord& job, JobState state, const std::string& reason);

  // Applies the topology policy to a registering node's report.
  void CheckTopology(NodeRecord& node, const v1::RegisterNodeRequest& request);
  // Weighs node.report against the node's entry by config_.topology_policy.
  void ApplyTopologyPolicy(NodeRecord& node);

  Config config_;
  const Clock& clock_;
  std::vector<std::string> kinds_;  // config_.cpu_kinds plus kinds only hardware reports brought
  std::vector<std::string> notices_;
  uint64_t next_job_id_ = 1;
  std::map<uint64_t, JobRecord> jobs_;  // ordered by id = submission order
  std::map<std::string, NodeRecord> nodes_;
  std::vector<sched::PendingJob> spare_pending_;  // RecyclePass
  // The scheduler's view of the jobs, kept up to date instead of rebuilt for every pass
  // (copying 100,000 pending jobs per pass was a seventh of the controller's CPU at ingest):
  // every change to a job touches its id (MarkDirty, Touch) and PreparePass refreshes the
  // touched ones. A pending job's entry is immutable and shared with the passes in flight; a
  // change replaces it. Rebuilt whole after a restore and every kViewRebuildTicks ticks, so
  // that a change that forgot to touch its job is seen late rather than never (and every start
  // is checked against the job itself in ApplyPass anyway).
  std::map<uint64_t, std::shared_ptr<const sched::PendingJob>> pending_view_;  // pending, durable
  std::set<uint64_t> holding_;     // jobs that hold cores (snapshot.running)
  // Array records and their elements that are pending, running or still hold cores
  // (IsLiveArrayJob): every pass walks them, so finished elements, kept for min_job_age, stay
  // out (with them a 1,000-element array made each pass walk every element that had ended).
  std::set<uint64_t> array_ids_;
  static bool IsLiveArrayJob(const JobRecord& job) {
    return job.array_job_id != 0 && (!IsFinished(job.state) || job.holds_resources);
  }
  std::set<uint64_t> dependent_;   // pending, durable jobs with a dependency left to evaluate
  std::set<uint64_t> running_;     // RUNNING (Tick's time limits and --signal)
  std::set<uint64_t> ended_;       // finished, not yet purged (Tick)
  std::set<uint64_t> view_dirty_;
  bool view_all_dirty_ = true;
  uint64_t last_full_max_id_ = 0;  // the highest pending id the last full pass saw
  // Jobs that just became able to start (released, requeued, updated) wherever they sit in the
  // queue: the next event pass considers them too, so that they need not wait for a full pass.
  // At most config_.event_pass_depth; more wait for the full pass, as before.
  std::set<uint64_t> just_changed_;
  void NoteJustChanged(uint64_t id) {
    if (just_changed_.size() < config_.event_pass_depth) just_changed_.insert(id);
  }
  uint32_t ticks_since_rebuild_ = 0;
  static constexpr uint32_t kViewRebuildTicks = 300;
  std::unordered_map<std::string, Status> feasible_;  // CheckFeasible's verdicts
  static constexpr size_t kMaxFeasibleVerdicts = 4096;
  std::set<uint64_t> dirty_;
  std::set<std::string> dirty_nodes_;
  uint64_t stored_next_job_id_ = 0;
  MonotonicTime grace_until_{};
  std::map<std::string, sched::UserUsage> usage_;  // decayed CPU-seconds per user (fair share)
  std::vector<sched::PriorityExplanation> priorities_;  // the last full pass's
  std::optional<sched::PriorityContext> priority_context_;  // ... and what it measured
  // Jobs changed since the full pass in flight was prepared (`unranked_`) or since the one
  // before (`ranking_`, until that pass is applied): VisitPriorities weighs them afresh.
  std::set<uint64_t> unranked_;
  std::set<uint64_t> ranking_;
  // Final states of finished jobs purged from `jobs_`, so that dependencies on them and
  // `sacct -j ARRAY` still resolve. Small (a few words each); dropped a day after the job ended.
  struct FinalState {
    JobState state = JobState::kCompleted;
    int64_t end_time = 0;
    uint64_t array_job_id = 0;
    std::optional<uint32_t> array_task_id;
    uint32_t remainder = 0;  // indices that were cancelled without starting (array records)
  };
  std::unordered_map<uint64_t, FinalState> finished_;
  std::vector<SignalAction> signals_;
  std::vector<LimitAction> limit_updates_;
  std::vector<std::string> last_reconfigure_changes_;
};

}  // namespace drover::ctld
