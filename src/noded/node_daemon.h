// NodeDaemon: drover-noded's state and its network shell.
//
// It registers with the controller and heartbeats, accepts launch and signal requests from the
// controller's identity only, hands each job to its own drover-stepd, and reports each job's
// end until the controller acknowledges it. Job hand-over goes through the spool directory
// (spool.h), so a restarted noded finds finished and still-running jobs again.
// Everything runs on one io_context thread.
#pragma once

#include <sys/types.h>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/auth_socket.h"
#include "common/config.h"
#include "common/file_system.h"
#include "common/key_ring.h"
#include "common/rpc.h"
#include "common/topology.h"
#include "drover/v1/drover.pb.h"
#include "noded/batch_plan.h"
#include "noded/cgroup_manager.h"
#include "noded/report_batcher.h"
#include "noded/stepd_options.h"
#include "noded/supervisor_zygote.h"


namespace drover::noded {

struct NodeDaemonOptions {
  std::string node_name;
  std::string stepd_path;      // the drover-stepd binary
  uint16_t port_override = 0;  // 0 = the configured port
  // The topology reported at registration (topology_reader.h); none if it could not be read,
  // and then the controller keeps the configured entry.
  std::optional<NodeTopology> topology;
  // Where /proc/loadavg and /proc/meminfo are read for heartbeats: "/", or the fixture tree of
  // a node that pretends to be another machine.
  std::string stats_root = "/";
  // A pretend node (drover local up --like rk1) runs jobs on the host's CPUs: allocated core
  // ids are mapped onto them (MapToHostCpus) before stepd makes the cpuset.
  bool map_cores_to_host = false;
  // The fork server batch supervisors are started from (supervisor_zygote.h), started by main
  // before noded grew; null: fork noded itself.
  std::shared_ptr<SupervisorZygote> zygote;
};

class NodeDaemon {
 public:
  NodeDaemon(asio::io_context& io, Config config, NodeDaemonOptions options, KeyRing keys,
             std::shared_ptr<asio::ssl::context> server_tls,
             std::shared_ptr<asio::ssl::context> client_tls);
  ~NodeDaemon();

  Status Start();
  void Stop();
  uint16_t port() const;
  // Key rotation: sign with keys.signing from now on, accept every key in keys.accepted.
  void ReloadKeys(KeyRing keys);
  // What the controller's reconfigure request runs: the daemon's SIGHUP path.
  void SetReconfigure(std::function<Status()> reload) { reconfigure_ = std::move(reload); }

 private:
  std::function<Status()> reconfigure_;
  struct RunningJob {
    pid_t stepd = -1;
    bool is_child = true;  // false for a stepd adopted after a noded restart
    bool from_zygote = false;  // its end is reported by the supervisor zygote
    std::optional<uint32_t> run = std::nullopt;  // LaunchJobRequest.run; unknown for a stepd adopted after a restart
  };

  void Handle(const PeerInfo& peer, v1::Envelope request, RpcResponder respond);
  // The run number (LaunchJobRequest.run) of the job's launch kept in the spool; 0 if unknown.
  uint32_t LaunchedRun(uint64_t job_id) const;
  AuthSigner Signer() const;
  // Refuses a uid this noded may not run jobs as: another user's when noded is not root, root
  // unless the config allows root jobs.
  Status CheckJobUser(uint32_t uid) const;
  // Starts drover-stepd with `args` in a session of its own, logging to dir/stepd.log;
  // `pass_fd` >= 0 is handed over as its fd 3.
  Result<pid_t> SpawnStepd(const std::string& dir, std::vector<std::string> args, int pass_fd);
  // Runs SuperviseBatchJob (batch_supervisor.h) in a fork of this process, in a session of its
  // own, logging to dir/stepd.log.
  Result<pid_t> ForkBatchSupervisor(const std::string& dir, const StepdOptions& stepd, const BatchPlan& plan);
  Status LaunchJob(const v1::LaunchJobRequest& launch);
  // launch_jobs: each launch as LaunchJob, one result each.
  v1::LaunchJobsResponse LaunchJobs(const v1::LaunchJobsRequest& request);
  // batch_only: the batch shell's process alone; steps_only: the steps' tasks alone.
  // step_id (with steps_only): that step's tasks alone (srun --signal).
  Status SignalJob(uint64_t job_id, int32_t signal, bool batch_only = false, bool steps_only = false,
                   std::optional<uint32_t> step_id = std::nullopt);
  // A running job's new time limit: its stepds here re-read it from their directory.
  Status UpdateJobLimit(const v1::UpdateJobLimitRequest& request);
  void RecoverJobs();
  void ResolveCgroupParent();
  void RemoveOrphanCgroups();
  void Register();
  void ScheduleRegister();
  void Heartbeat();
  void ArmHeartbeat();
  void ArmPoll();
  void WaitChildren();
  // Reads the zygote's reports of supervisor ends; LoseZygote falls back to forking noded.
  void WatchZygote();
  void LoseZygote(const std::string& why);
  void Reap(pid_t pid, int status);
  void JobEnded(uint64_t job_id, const std::string& fallback_reason);
  void SendFinished(uint64_t job_id);
  // Reports every unacknowledged end: together (jobs_finished) to a controller that serves
  // that, else one job_finished each.
  void ReportEnds();
  // Sends the ends ReportBatcher says go next, in one jobs_finished.
  void FlushEnds();
  // The controller recorded the end of `job_id`'s report `seq`: its spool files go.
  void EndAcknowledged(uint64_t job_id, uint64_t seq);
  void HandleCancels(const google::protobuf::RepeatedField<uint64_t>& ids);
  v1::Envelope Request(const v1::Body& body) const;

  // Job steps (node_steps.cc): one stepd per step on this node, in <spool>/steps/<job>.<step>.
  using StepKey = std::pair<uint64_t, uint32_t>;
  Result<uint16_t> LaunchStep(const v1::LaunchStepRequest& launch);
  // Signals (0 = ends) every step of `job_id` here; false if there is none.
  bool SignalSteps(uint64_t job_id, int32_t signal, std::optional<uint32_t> step_id = std::nullopt);
  void RecoverSteps();
  bool ReapStep(pid_t pid, int status);
  void PollSteps();
  void StepEnded(StepKey key, const std::string& fallback_reason);
  void SendStepFinished(StepKey key);
  void ResendStepReports();
  std::string StepDir(StepKey key) const;

  asio::io_context& io_;
  Config config_;
  NodeDaemonOptions options_;
  KeyRing keys_;
  RootedFileSystem stats_fs_;
  const NodeConfig* node_;
  std::string spool_;
  std::shared_ptr<RpcClient> ctld_;
  RpcServer rpc_;
  std::unique_ptr<AuthSocketServer> auth_;
  std::unique_ptr<asio::steady_timer> heartbeat_timer_;
  std::unique_ptr<asio::steady_timer> register_timer_;
  std::unique_ptr<asio::steady_timer> poll_timer_;
  std::unique_ptr<asio::signal_set> sigchld_;
  std::shared_ptr<SupervisorZygote> zygote_;
  std::unique_ptr<asio::posix::stream_descriptor> zygote_exits_;
  std::map<uint64_t, RunningJob> jobs_;
  std::unique_ptr<CgroupManager> cgroups_;  // null: none usable
  std::string cgroups_text_;                // reported at registration
  std::map<std::string, std::string> stepd_cgroup_v1_;  // StepdOptions::cgroup_v1
  std::map<StepKey, RunningJob> steps_;
  struct StepReport {
    v1::StepFinishedRequest report;
    bool sending = false;
  };
  std::map<StepKey, StepReport> unreported_steps_;

  struct Unreported {
    v1::JobFinishedRequest report;
    uint64_t seq = 0;  // tells a late acknowledgement from one for a newer run of the job
  };
  std::map<uint64_t, Unreported> unreported_;
  uint64_t next_seq_ = 1;
  ReportBatcher end_batches_;
  bool ctld_batches_ = false;  // the controller serves jobs_finished (RegisterNodeResponse.batch_rpcs)
  bool registered_ = false;
  bool registered_once_ = false;  // by this process: the first registration lifts a drain
  bool registering_ = false;
  int register_backoff_ms_ = 200;
};

}  // namespace drover::noded
