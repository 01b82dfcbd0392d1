// The cluster configuration: one YAML file, the same on every host (DESIGN.md, Configuration).
//
// LoadConfig parses and validates the whole file into a Config value. Every error names the
// file, line and column and what was expected, e.g.
//   /etc/drover/drover.yaml:12:9: nodes[0].cpus: expected a positive integer, got "eight"
// Unknown keys are errors too (a typo must not silently change behaviour). The schema is in
// docs/configuration.md, a complete example in etc/drover.yaml.
// Config is a plain value: copy it, share it read-only across threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover {

inline constexpr uint16_t kDefaultCtldPort = 7817;
inline constexpr uint16_t kDefaultNodedPort = 7818;
inline constexpr const char* kDefaultConfigPath = "/etc/drover/drover.yaml";

// One kind of core on a node: "big"/"little" on an RK3588, "default" for `cpus: N`.
struct CoreKindConfig {
  std::string kind;
  std::vector<uint32_t> cpu_ids;  // OS CPU ids, ascending
  uint32_t capacity = 0;          // relative speed (as Linux cpu_capacity); 0 = not given
};

inline constexpr const char* kDefaultCoreKind = "default";

struct NodeConfig {
  std::string name;
  std::string address;   // defaults to name
  uint16_t port = kDefaultNodedPort;
  uint32_t cpus = 0;  // total cores (the sum over `cores`)
  uint64_t memory_mb = 0;
  std::vector<std::string> features;
  // Never empty after parsing; `cpus: N` alone means N "default" cores with ids 0..N-1. (Last,
  // so that older aggregate initializers still compile.)
  std::vector<CoreKindConfig> cores;
};

enum class PartitionState { kUp, kDown, kDrain, kInactive };

// Who wins when a node's hardware (its daemon's topology report) and its entry differ
// (DESIGN.md, The node daemon): kStrict marks a node with less than the entry says INVALID
// (drained, with the difference as reason); kConfig keeps the entry and logs the difference
// once; kHardware uses the report (cores by kind, memory).
enum class TopologyPolicy { kStrict, kConfig, kHardware };
const char* TopologyPolicyName(TopologyPolicy p);

struct PartitionConfig {
  std::string name;
  std::vector<std::string> nodes;  // expanded, in config order
  bool is_default = false;
  // Derived from `state` by the parser: jobs may start (up or drain). Kept for the code written
  // before drain and inactive existed; a hand-built config with up == false and state kUp means
  // down.
  bool up = true;
  uint32_t max_time_minutes = 0;      // 0 = unlimited
  uint32_t default_time_minutes = 0;  // 0 = max_time (or unlimited)
  PartitionState state = PartitionState::kUp;
  uint32_t max_nodes = 0;             // per job; 0 = unlimited
  std::vector<std::string> allow_users;   // empty (with allow_groups empty) = everybody
  std::vector<std::string> allow_groups;
  uint32_t priority_tier = 0;
};

struct Config {
  std::string path;          // where it was loaded from
  std::string content_hash;  // SHA-256 hex of the file bytes, compared at registration
  std::string cluster_name = "drover";

  std::string controller_host;     // the controller's name; its TLS certificate carries it
  std::string controller_address;  // defaults to controller_host
  uint16_t controller_port = kDefaultCtldPort;

  std::string state_dir = "/var/lib/drover";
  std::string spool_dir = "/var/spool/drover/%n";  // %n = node name
  std::string log_dir;                              // empty = stderr
  std::string auth_socket = "/run/drover/auth.sock";
  std::string key_file = "/etc/drover/cluster.key";       // signs; accepted
  std::string next_key_file;                              // also accepted (key rotation)
  // Users who, like root, may act on every job and on nodes (drain, resume).
  std::vector<std::string> operators;
  // Other users' jobs are left out of queue and accounting answers altogether (Slurm's
  // PrivateData=jobs); when false they are listed without their private details.
  bool private_jobs = false;
  std::string tls_ca = "/etc/drover/tls/ca.crt";
  std::string tls_cert = "/etc/drover/tls/%n.crt";  // %n = this host's name
  std::string tls_key = "/etc/drover/tls/%n.key";

  uint32_t heartbeat_interval_s = 10;
  uint32_t node_timeout_s = 60;       // no heartbeat for this long: DOWN
  uint32_t kill_wait_s = 10;          // SIGTERM -> SIGKILL
  uint32_t credential_ttl_s = 300;
  uint32_t clock_skew_s = 60;
  uint32_t idle_timeout_s = 300;
  uint32_t max_frame_bytes = 16u << 20;
  uint32_t min_job_age_s = 300;        // finished jobs stay in squeue -t all
  uint32_t accounting_retention_s = 0; // finished jobs leave accounting after this; 0 = never
  uint64_t default_mem_per_cpu_mb = 512;
  bool allow_root_jobs = false;
  // A batch job whose node fails runs again (Slurm's JobRequeue=1) unless it says
  // --no-requeue; when false it ends NODE_FAIL unless it says --requeue.
  bool job_requeue = false;
  // Priority (sched/priority.h): weight x factor, each factor in [0, 1].
  uint32_t priority_weight_age = 1000;
  uint32_t priority_weight_fairshare = 10000;
  uint32_t priority_weight_job_size = 1000;
  uint32_t priority_weight_partition = 1000;
  uint32_t priority_max_age_s = 7 * 24 * 3600;
  uint32_t fairshare_half_life_s = 7 * 24 * 3600;
  bool backfill = true;
  TopologyPolicy topology_policy = TopologyPolicy::kStrict;
  uint32_t reservations = 1;  // waiting jobs that backfill must not delay
  // A pass started by an event (submission, a job's end, a node) over a queue of more than
  // event_pass_threshold pending jobs considers event_pass_depth jobs of each kind only
  // (Controller::PreparePass), as Slurm's default_queue_depth; the periodic pass is full.
  uint32_t event_pass_depth = 200;
  uint32_t event_pass_threshold = 800;

  // Job confinement (noded/stepd). Cgroups are used when the host has them; `false` turns
  // them off (jobs are then tracked by process tree only, and nothing is enforced).
  bool cgroups_enabled = true;
  std::string cgroup_root;              // empty = find the mounts (libcgroup), else /sys/fs/cgroup
  std::string cgroup_parent = "drover"; // job cgroups: <root>/<parent>/<node>/job_<id>
  uint64_t cgroup_pids_limit = 0;       // per job; 0 = none
  // Run as root on the job's node before the job (prolog) and after it (epilog), with the
  // job's SLURM_* variables; empty = none. A failing or timed-out prolog drains the node and
  // requeues the job; a failing epilog drains the node.
  std::string prolog;
  std::string epilog;
  uint32_t prolog_timeout_s = 60;  // also bounds the epilog

  // Every core kind any node has, fastest first: the top-level `kinds` list if given, else by
  // capacity (highest first), then name.
  std::vector<std::string> cpu_kinds;

  std::vector<NodeConfig> nodes;          // expanded, one per node, config order
  std::vector<PartitionConfig> partitions;

  const NodeConfig* FindNode(const std::string& name) const;
  const PartitionConfig* FindPartition(const std::string& name) const;
  const PartitionConfig* DefaultPartition() const;  // null if there are no partitions
  // Substitutes %n with `host` in a path template (tls_cert, tls_key, spool_dir).
  static std::string ForHost(const std::string& path_template, const std::string& host);
};

// Parses YAML text; `path` is only used in messages and Config::path.
Result<Config> ParseConfig(const std::string& text, const std::string& path);
// Reads and parses a file; a missing or unreadable file is an error naming the path.
Result<Config> LoadConfig(const std::string& path);
// The path every binary uses: the --config value if given, else $DROVER_CONF, else
// /etc/drover/drover.yaml. Empty values count as not given.
std::string ResolveConfigPath(const std::optional<std::string>& flag_value);

}  // namespace drover
