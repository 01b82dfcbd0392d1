// The scheduler's vocabulary: the snapshot it reads and the plan it returns.
//
// These are plain values with no protobuf, asio or clock behind them (STYLE.md §6.2): the
// controller copies its state into a Snapshot, calls sched::Schedule (scheduler.h) and applies
// the Plan. Times are whole seconds since the Unix epoch, as the controller's Now(); time
// limits are minutes with kUnlimitedMinutes for "none". Everything here is copyable and has no
// thread affinity.
//
// CPU kinds. A node's cores are grouped by kind ("big"/"little" on an RK3588,
// "performance"/"efficiency" on Intel hybrids, "default" for a node configured with `cpus: N`).
// Snapshot::kinds lists kind names fastest first; kinds a node has but that list lacks rank after
// it, by name. A job asks for:
//  - any (the default): on each node, the cores come from the fastest kind that alone has
//    enough free cores, so a 2-core job on an idle RK1 gets two A76 (big) cores. Only when no
//    single kind on a node can hold the job's cores does "any" straddle kinds, then filled
//    fastest first. That keeps "cores never straddle kinds" true whenever it can be, while an
//    8-core job on an 8-core RK1 (which cannot help straddling) still runs.
//  - one kind ("big"): only cores of that kind, never straddling.
//  - per-kind counts ("big:2,little:4"): exactly that many cores of each kind on every node of
//    the job; their sum must cover the node's tasks x cpus-per-task.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace drover::sched {

using JobId = uint64_t;

// Same value as drover::kUnlimitedMinutes (common/units.h); repeated so that drover_sched links
// nothing.
inline constexpr uint32_t kUnlimitedMinutes = 0xFFFFFFFFu;
// An end time that never comes (a running job without a time limit).
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// Slurm's pending-reason names, as squeue shows them.
namespace reason {
inline constexpr const char* kResources = "Resources";
inline constexpr const char* kPriority = "Priority";
inline constexpr const char* kDependency = "Dependency";
inline constexpr const char* kBeginTime = "BeginTime";
inline constexpr const char* kJobHeldUser = "JobHeldUser";
inline constexpr const char* kJobHeldAdmin = "JobHeldAdmin";
inline constexpr const char* kPartitionDown = "PartitionDown";
inline constexpr const char* kPartitionInactive = "PartitionInactive";
inline constexpr const char* kPartitionTimeLimit = "PartitionTimeLimit";
inline constexpr const char* kPartitionNodeLimit = "PartitionNodeLimit";
// The job's user or groups are not (or no longer) allowed in the partition, or the partition
// no longer exists.
inline constexpr const char* kPartitionConfig = "PartitionConfig";
// A node the job names is down or not in the partition, or too few nodes are available for
// the job even if every running job ended.
inline constexpr const char* kReqNodeNotAvail = "ReqNodeNotAvail";
// The request cannot be met by any node of the partition (e.g. the config changed after
// submission, or counts that do not cover the tasks).
inline constexpr const char* kBadConstraints = "BadConstraints";
}  // namespace reason

// ---- Snapshot (input) ----

struct KindCores {
  std::string kind;
  std::vector<uint32_t> core_ids;  // OS CPU ids (what the cgroup cpuset gets)
};

struct Node {
  std::string name;
  bool available = false;  // registered, responding, not drained: may take new jobs
  std::vector<KindCores> cores;     // every core of the node, grouped by kind
  std::vector<uint32_t> free_cores;  // ids of the cores no job holds now
  uint64_t memory_total_mb = 0;
  uint64_t memory_free_mb = 0;
  std::vector<std::string> features;
};

enum class PartitionState {
  kUp,        // queues and starts jobs
  kDown,      // queues jobs, starts none (PartitionDown)
  kDrain,     // refuses new jobs, starts the queued ones
  kInactive,  // refuses new jobs, starts none (PartitionInactive)
};

struct Partition {
  std::string name;
  std::vector<std::string> nodes;  // config order: the placement order
  PartitionState state = PartitionState::kUp;
  uint32_t max_time_minutes = kUnlimitedMinutes;
  uint32_t default_time_minutes = kUnlimitedMinutes;  // used when a job gives no limit
  uint32_t max_nodes = 0;                             // 0 = no limit
  std::vector<std::string> allow_users;   // empty = everybody
  std::vector<std::string> allow_groups;  // empty = everybody; a user in either list may use it
  uint32_t priority_tier = 0;
};

struct KindCount {
  std::string kind;
  uint32_t count = 0;
};

// See the header comment. Build one with ParseCpuKind (placement.h) from the --cpu-kind text.
struct CpuKindRequest {
  enum class Mode { kAny, kKind, kCounts };
  Mode mode = Mode::kAny;
  std::string kind;               // kKind
  std::vector<KindCount> counts;  // kCounts, per node
};

enum class Hold { kNone, kUser, kAdmin };

struct PendingJob {
  JobId id = 0;
  std::string user;
  uint32_t uid = 0;
  std::vector<std::string> groups;  // group names (primary first); matched to allow_groups
  std::string partition;
  int64_t submit_time = 0;
  int32_t nice = 0;  // subtracted from the priority
  uint32_t min_nodes = 1;
  uint32_t max_nodes = 0;  // 0 = same as min_nodes
  // -N not given: the fewest nodes in the range that hold the tasks (Slurm's packing), where
  // an explicit -N MIN-MAX gets as many as are free.
  bool fewest_nodes = false;
  uint32_t ntasks = 0;     // 0 = not given
  uint32_t cpus_per_task = 1;
  uint32_t ntasks_per_node = 0;  // 0 = not given
  uint64_t mem_per_node_mb = 0;  // 0 = not given
  uint64_t mem_per_cpu_mb = 0;   // 0 = not given
  bool exclusive = false;
  std::vector<std::string> nodelist;  // nodes the job must have
  std::vector<std::string> exclude;   // nodes the job must not have
  std::vector<std::string> features;  // --constraint: every one required
  CpuKindRequest cpu_kind;
  uint32_t time_limit_minutes = 0;  // 0 = the partition's default; kUnlimitedMinutes = none
  Hold hold = Hold::kNone;
  int64_t begin_time = 0;  // 0 = now
  bool dependency_satisfied = true;
};

struct Allocation {
  std::string node;
  std::vector<uint32_t> core_ids;  // ascending
  uint64_t memory_mb = 0;
  uint32_t tasks = 0;  // this node's entry of SLURM_TASKS_PER_NODE
};

struct RunningJob {
  JobId id = 0;
  std::string user;
  int64_t start_time = 0;
  int64_t end_time = kNever;  // start + time limit; kNever without a limit
  std::vector<Allocation> nodes;
};

// A user's past consumption for fair share: CPU-seconds already decayed to `as_of`. The
// scheduler decays it on to `now` and adds the consumption of the user's running jobs, so the
// caller only folds a job's CPU-seconds in when it ends.
struct UserUsage {
  std::string user;
  double cpu_seconds = 0;
  int64_t as_of = 0;
};

struct Snapshot {
  int64_t now = 0;
  std::vector<std::string> kinds;  // fastest first
  std::vector<Node> nodes;
  std::vector<Partition> partitions;
  std::vector<PendingJob> pending;  // any order; the scheduler orders by priority
  // More pending jobs, shared read-only with a view the caller keeps (ctld keeps its jobs'
  // entries up to date rather than copy them for every pass); considered exactly as `pending`.
  // An id is in one of the two lists, not both.
  std::vector<std::shared_ptr<const PendingJob>> shared_pending;
  std::vector<RunningJob> running;  // including jobs that still hold resources while ending
  std::vector<UserUsage> usage;

  size_t PendingCount() const { return pending.size() + shared_pending.size(); }
  template <class F>
  void ForEachPending(F&& f) const {
    for (const auto& j : pending) f(j);
    for (const auto& j : shared_pending) f(*j);
  }
};

// Tunables, from the config's `scheduling` section.
struct Options {
  uint64_t default_mem_per_cpu_mb = 512;
  // Priority = round(sum of weight x factor) - nice; every factor is in [0, 1].
  uint32_t weight_age = 1000;
  uint32_t weight_fairshare = 10000;
  uint32_t weight_job_size = 1000;
  uint32_t weight_partition = 1000;
  int64_t max_age_s = 7 * 24 * 3600;            // the age factor is 1 from this age on
  int64_t fairshare_half_life_s = 7 * 24 * 3600;  // usage halves every this many seconds
  // How many of the highest-priority waiting jobs get a reservation that backfill must not
  // delay (1 = EASY backfill).
  uint32_t reservations = 1;
  // false: strict priority order, nothing starts past the first job that waits for
  // resources (no backfill).
  bool backfill = true;
};

// ---- Plan (output) ----

struct JobStart {
  JobId id = 0;
  std::vector<Allocation> nodes;  // node-list order; the batch script runs on the first
  int64_t end_time = kNever;      // now + time limit, what backfill planned with
  bool backfilled = false;        // started while a higher-priority job held a reservation
};

struct Reservation {
  JobId id = 0;
  int64_t start_time = 0;  // the latest the job will start, given the running jobs' limits
  std::vector<Allocation> nodes;
};

struct JobWait {
  JobId id = 0;
  std::string reason;  // one of reason::k*
};

// sprio's view of one pending job (for `drover queue --explain`).
struct PriorityExplanation {
  JobId id = 0;
  std::string user;
  // Factors in [0, 1].
  double age = 0;
  double fairshare = 0;
  double job_size = 0;
  double partition = 0;
  // Weighted contributions (weight x factor).
  double age_part = 0;
  double fairshare_part = 0;
  double job_size_part = 0;
  double partition_part = 0;
  int32_t nice = 0;
  int64_t priority = 0;  // round(sum of parts) - nice
  double user_usage_cpu_seconds = 0;  // decayed, including running jobs
};

// What a pass measured of the cluster for the priority factors (sched/priority.h), so that a
// job that came since can be weighed as the pass would have (ExplainPriority).
struct PriorityContext {
  std::map<std::string, double> usage;  // per user: decayed CPU-seconds plus running jobs so far
  double total_usage = 0;
  std::set<std::string> users;  // with usage or a pending job: the even share is 1 / their number
  double total_cores = 0;
  uint32_t max_tier = 0;
  std::map<std::string, uint32_t> tier;  // by partition
};

struct Plan {
  std::vector<JobStart> starts;              // in the order they were decided
  std::vector<Reservation> reservations;     // highest priority first
  std::vector<JobWait> waits;                // every pending job that does not start
  std::vector<PriorityExplanation> priorities;  // every pending job, highest priority first
  PriorityContext priority_context;             // what `priorities` were computed with
};

}  // namespace drover::sched
