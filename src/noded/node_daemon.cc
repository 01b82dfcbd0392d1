#include "noded/node_daemon.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <spdlog/spdlog.h>
#include <thread>

#include "common/clock.h"
#include "common/envelope.h"
#include "common/job_credential_proto.h"
#include "noded/batch_plan_launch.h"
#include "noded/batch_supervisor.h"
#include "noded/cgroup_discover.h"
#include "noded/cgroup_placement.h"
#include "noded/spool.h"
#include "noded/stepd_options.h"

extern char** environ;

namespace drover::noded {
namespace {

const char* kVersion = "0.1.0";

double LoadAverage(const FileSystem& fs) {
  auto text = fs.ReadFile("/proc/loadavg");
  return text.ok() ? ParseLoadavg(*text).value_or(0) : 0;
}

uint64_t MemInfoMB(const FileSystem& fs, const std::string& key) {
  auto text = fs.ReadFile("/proc/meminfo");
  return text.ok() ? ParseMeminfoMB(*text, key).value_or(0) : 0;
}

bool ProcessAlive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

Result<pid_t> ReadPid(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  try {
    return static_cast<pid_t>(std::stol(*text));
  } catch (const std::exception&) {
    return Status::InvalidArgument("malformed pid file " + path);
  }
}

}  // namespace

NodeDaemon::NodeDaemon(asio::io_context& io, Config config, NodeDaemonOptions options,
                       KeyRing keys, std::shared_ptr<asio::ssl::context> server_tls,
                       std::shared_ptr<asio::ssl::context> client_tls)
    : io_(io),
      config_(std::move(config)),
      options_(std::move(options)),
      keys_(std::move(keys)),
      stats_fs_(options_.stats_root),
      node_(config_.FindNode(options_.node_name)),
      spool_(Config::ForHost(config_.spool_dir, options_.node_name)),
      ctld_(RpcClient::Create(io, client_tls, config_.controller_address, config_.controller_port,
                              config_.controller_host,
                              RpcClientOptions{config_.max_frame_bytes, std::chrono::seconds(5),
                                               std::chrono::seconds(20)})),
      rpc_(io, std::move(server_tls),
           [this](const PeerInfo& peer, v1::Envelope req, RpcResponder respond) {
             Handle(peer, std::move(req), std::move(respond));
           },
           RpcServerOptions{config_.max_frame_bytes, std::chrono::seconds(config_.idle_timeout_s),
                            std::chrono::seconds(10), 256}) {
  auth_ = std::make_unique<AuthSocketServer>(io_, config_.auth_socket, Signer());
}

AuthSigner NodeDaemon::Signer() const {
  return AuthSigner{keys_.signing, options_.node_name, config_.credential_ttl_s,
                    [] { return ToUnixMillis(std::chrono::system_clock::now()); }};
}

void NodeDaemon::ReloadKeys(KeyRing keys) {
  keys_ = std::move(keys);
  auth_->SetSigner(Signer());
}

NodeDaemon::~NodeDaemon() = default;

uint16_t NodeDaemon::port() const { return rpc_.port(); }

Status NodeDaemon::Start() {
  if (node_ == nullptr) {
    return Status::NotFound("node " + options_.node_name + " is not in " + config_.path +
                            " (use --name to say which node this is)");
  }
  if (access(options_.stepd_path.c_str(), X_OK) != 0) {
    return Status::NotFound("cannot execute " + options_.stepd_path + ": " + std::strerror(errno));
  }
  for (const std::string& dir : {spool_, spool_ + "/scripts"}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IoError("cannot create spool directory " + dir + ": " + ec.message());
  }
  chmod(spool_.c_str(), 0755);
  chmod((spool_ + "/scripts").c_str(), 0711);

  std::string bind = "0.0.0.0";
  asio::error_code ec;
  auto addr = asio::ip::make_address(node_->address, ec);
  if (!ec) bind = addr.to_string();
  DROVER_RETURN_IF_ERROR(rpc_.Listen(bind, options_.port_override ? options_.port_override : node_->port));
  Status auth = auth_->Start();
  if (auth.code() == StatusCode::kAlreadyExists) {
    spdlog::info("auth socket {} is served by another daemon on this host", config_.auth_socket);
  } else if (!auth.ok()) {
    spdlog::warn("auth socket {} not served: {}", config_.auth_socket, auth.message());
  }

  sigchld_ = std::make_unique<asio::signal_set>(io_, SIGCHLD);
  WaitChildren();
  zygote_ = std::move(options_.zygote);
  if (zygote_) {
    spdlog::info("batch supervisors are forked from the supervisor zygote {}", zygote_->pid());
    WatchZygote();
  }
  heartbeat_timer_ = std::make_unique<asio::steady_timer>(io_);
  register_timer_ = std::make_unique<asio::steady_timer>(io_);
  poll_timer_ = std::make_unique<asio::steady_timer>(io_);
  ResolveCgroupParent();
  StepdOptions stepd = StepdOptions::FromConfig(config_, options_.node_name, spool_);
  if (stepd.cgroups && geteuid() == 0) {
    // Found once here and handed to every stepd (StepdOptions::cgroup_v1).
    const CgroupMounts mounts = DiscoverCgroupMounts(config_.cgroup_root);
    if (mounts.version == 1) stepd.cgroup_v1 = mounts.v1;
  }
  cgroups_ = MakeCgroupManager(stepd);
  CgroupSupport support = cgroups_ ? cgroups_->Support() : CgroupSupport{0, {}, {}, "disabled in the configuration"};
  if (support.version != 0) {
    if (Status s = cgroups_->Init(); !s.ok()) support = CgroupSupport{0, {}, {}, s.message()};
  }
  stepd_cgroup_v1_ = support.version == 1 ? stepd.cgroup_v1 : std::map<std::string, std::string>{};
  cgroups_text_ = support.Describe();
  if (support.version == 0) {
    spdlog::warn("cgroups: {}: jobs are not confined to their cores or memory, and OOM is not detected", cgroups_text_);
    cgroups_.reset();
  } else if (!support.missing.empty()) {
    spdlog::warn("cgroups: {}: what those controllers do is not enforced (see the admin guide)", cgroups_text_);
  } else {
    spdlog::info("cgroups: {}", cgroups_text_);
  }
  RecoverJobs();
  RemoveOrphanCgroups();
  RecoverSteps();
  ArmPoll();
  Register();
  if (geteuid() != 0) {
    spdlog::warn("running as uid {}, not root: only jobs of this user can run here", geteuid());
  }
  spdlog::info("drover-noded {} listening on {}:{}, spool {}", options_.node_name, bind, port(), spool_);
  return Status::Ok();
}

void NodeDaemon::Stop() {
  rpc_.Stop();
  auth_->Stop();
  ctld_->Close();
  for (auto* t : {heartbeat_timer_.get(), register_timer_.get(), poll_timer_.get()}) {
    if (t) t->cancel();
  }
  if (sigchld_) sigchld_->cancel();
  if (zygote_exits_) zygote_exits_->cancel();
}

v1::Envelope NodeDaemon::Request(const v1::Body& body) const { return MakeEnvelope(body); }

// Jobs survive a noded restart: their stepd keeps running (it is in its own session), and
// either its result is already in the spool or it is still alive to be watched.
void NodeDaemon::RecoverJobs() {
  for (uint64_t id : ListJobDirs(spool_)) {
    const std::string dir = JobDir(spool_, id);
    if (access((dir + "/result").c_str(), F_OK) == 0) {
      JobEnded(id, "");
      continue;
    }
    auto pid = ReadPid(dir + "/stepd.pid");
    if (pid.ok() && ProcessAlive(*pid)) {
      spdlog::info("job {} still running under stepd {}: reattached", id, *pid);
      jobs_[id] = RunningJob{*pid, false};
    } else {
      JobEnded(id, "drover-stepd vanished while drover-noded was down");
    }
  }
}

// Resolves cgroups.parent (`auto`: inside noded's delegated cgroup on v2, see
// cgroup_placement.h) once, so that every stepd gets the same path.
void NodeDaemon::ResolveCgroupParent() {
  const std::string configured = config_.cgroup_parent;
  if (!config_.cgroups_enabled || geteuid() != 0) {
    if (configured == kAutoCgroupParent) config_.cgroup_parent = kFixedCgroupParent;
    return;
  }
  const CgroupMounts mounts = DiscoverCgroupMounts(config_.cgroup_root);
  CgroupPlacement placement = ResolveCgroupPlacement(RootedFileSystem("/"), configured, mounts);
  if (Status s = MoveSelf(mounts, placement, getpid()); !s.ok()) {
    spdlog::warn("cgroups: {}; job cgroups go under {} instead", s.message(), kFixedCgroupParent);
    placement = {kFixedCgroupParent, "", ""};
  } else if (zygote_) {
    // The zygote must leave the delegated cgroup too, or it could not delegate controllers.
    if (Status z = MoveSelf(mounts, placement, zygote_->pid()); !z.ok()) LoseZygote(z.message());
  }
  config_.cgroup_parent = placement.parent;
  if (configured == kAutoCgroupParent) {
    spdlog::info("cgroups: job cgroups under {}{}", placement.parent,
                 placement.note.empty() ? "" : " (" + placement.note + ")");
  }
}

// Job cgroups whose stepd is gone (killed, or the host rebooted mid-job with a persistent
// cgroup tree) would keep their processes and limits forever.
void NodeDaemon::RemoveOrphanCgroups() {
  if (!cgroups_) return;
  std::vector<uint64_t> running;
  for (const auto& [id, job] : jobs_) running.push_back(id);
  for (uint64_t id : RemoveStaleCgroups(*cgroups_, running)) {
    spdlog::info("removed the cgroup of job {}, which no longer runs here", id);
  }
}

void NodeDaemon::Register() {
  if (registering_) return;
  registering_ = true;
  v1::Body body;
  auto* r = body.mutable_register_node();
  r->set_name(options_.node_name);
  r->set_cpus(std::thread::hardware_concurrency());
  r->set_memory_mb(MemInfoMB(stats_fs_, "MemTotal"));
  if (const auto& t = options_.topology) {
    r->set_cpus(t->cpus);
    r->set_memory_mb(t->memory_mb);
    for (const auto& k : t->kinds) {
      auto* kind = r->add_topology_kinds();
      kind->set_kind(k.name);
      for (uint32_t id : k.cpu_ids) kind->add_cpu_ids(id);
      kind->set_core_type(k.core_type);
      kind->set_capacity(k.capacity);
      kind->set_max_mhz(k.max_mhz);
      kind->set_cores(k.cores);
    }
    r->set_packages(t->packages);
    r->set_clusters(t->clusters);
    r->set_topology_source(t->source);
  }
  r->set_config_hash(config_.content_hash);
  r->set_version(kVersion);
  r->set_cgroups(cgroups_text_);
  r->set_fresh_start(!registered_once_);
  r->set_batch_rpcs(true);
  for (const auto& [id, job] : jobs_) r->add_running_job_ids(id);
  ctld_->Call(Request(body), [this](Result<v1::Envelope> response) {
    registering_ = false;
    auto result = BodyOrError(response);
    if (!result.ok() || !result->has_register_node_response()) {
      spdlog::warn("registration with {} failed: {}; retrying", config_.controller_host,
                   result.ok() ? "unexpected reply" : result.status().message());
      ScheduleRegister();
      return;
    }
    registered_ = true;
    registered_once_ = true;
    register_backoff_ms_ = 200;
    ctld_batches_ = result->register_node_response().batch_rpcs();
    spdlog::info("registered with controller {}", config_.controller_host);
    HandleCancels(result->register_node_response().cancel_job_ids());
    ReportEnds();
    ResendStepReports();
    ArmHeartbeat();
  });
}

// Exponential backoff with jitter, so that nodes rebooting together do not reconnect in step.
void NodeDaemon::ScheduleRegister() {
  registered_ = false;
  static thread_local std::mt19937 rng{std::random_device{}()};
  const int max_ms = static_cast<int>(config_.heartbeat_interval_s) * 1000;
  const int wait = register_backoff_ms_ / 2 + static_cast<int>(rng() % (register_backoff_ms_ / 2 + 1));
  register_backoff_ms_ = std::min(register_backoff_ms_ * 2, std::max(max_ms, 400));
  register_timer_->expires_after(std::chrono::milliseconds(wait));
  register_timer_->async_wait([this](const asio::error_code& ec) {
    if (!ec) Register();
  });
}

void NodeDaemon::ArmHeartbeat() {
  heartbeat_timer_->expires_after(std::chrono::seconds(config_.heartbeat_interval_s));
  heartbeat_timer_->async_wait([this](const asio::error_code& ec) {
    if (!ec) Heartbeat();
  });
}

void NodeDaemon::Heartbeat() {
  v1::Body body;
  auto* h = body.mutable_heartbeat();
  h->set_name(options_.node_name);
  for (const auto& [id, job] : jobs_) h->add_running_job_ids(id);
  h->set_load(LoadAverage(stats_fs_));
  h->set_free_memory_mb(MemInfoMB(stats_fs_, "MemAvailable"));
  ctld_->Call(Request(body), [this](Result<v1::Envelope> response) {
    auto result = BodyOrError(response);
    if (!result.ok()) {
      spdlog::warn("heartbeat failed: {}; registering again", result.status().message());
      ScheduleRegister();
      return;
    }
    if (result->has_heartbeat_response()) HandleCancels(result->heartbeat_response().cancel_job_ids());
    ReportEnds();
    ResendStepReports();
    ArmHeartbeat();
  });
}

void NodeDaemon::HandleCancels(const google::protobuf::RepeatedField<uint64_t>& ids) {
  for (uint64_t id : ids) {
    spdlog::info("controller no longer wants job {} here: cancelling it", id);
    (void)SignalJob(id, 0);
  }
}

void NodeDaemon::Handle(const PeerInfo& peer, v1::Envelope request, RpcResponder respond) {
  auto body = ParseBody(request);
  if (!body.ok()) {
    respond(MakeErrorReply(request, body.status()));
    return;
  }
  // Only the controller may start or signal work here.
  if (peer.cert_name != config_.controller_host) {
    spdlog::warn("refused request from {} (certificate '{}'): not the controller", peer.address,
                 peer.cert_name);
    respond(MakeErrorReply(request, Status::PermissionDenied(
                                        "drover-noded obeys the controller only")));
    return;
  }
  Status s;
  switch (body->kind_case()) {
    case v1::Body::kLaunchJob:
      s = LaunchJob(body->launch_job());
      break;
    case v1::Body::kLaunchJobs: {
      v1::Body reply;
      *reply.mutable_launch_jobs_response() = LaunchJobs(body->launch_jobs());
      return respond(MakeReply(request, reply));
    }
    case v1::Body::kSignalJob:
      s = SignalJob(body->signal_job().job_id(), body->signal_job().signal(), body->signal_job().batch_only(),
                    body->signal_job().steps_only(),
                    body->signal_job().one_step() ? std::optional<uint32_t>(body->signal_job().step_id())
                                                  : std::nullopt);
      break;
    case v1::Body::kUpdateJobLimit:
      s = UpdateJobLimit(body->update_job_limit());
      break;
    case v1::Body::kReconfigure:
      spdlog::info("the controller asks for a configuration reload");
      s = reconfigure_ ? reconfigure_() : Status::Unsupported("this node daemon cannot reconfigure");
      if (!s.ok()) s = Status(s.code(), "reload refused on " + options_.node_name + ": " + s.message());
      break;
    case v1::Body::kLaunchStep: {
      auto port = LaunchStep(body->launch_step());
      if (!port.ok()) return respond(MakeErrorReply(request, port.status()));
      v1::Body reply;
      reply.mutable_launch_step_response()->set_port(*port);
      return respond(MakeReply(request, reply));
    }
    default:
      s = Status::Unsupported("drover-noded does not serve this request type");
  }
  if (!s.ok()) {
    respond(MakeErrorReply(request, s));
    return;
  }
  v1::Body ack;
  ack.mutable_ack();
  respond(MakeReply(request, ack));
}

v1::LaunchJobsResponse NodeDaemon::LaunchJobs(const v1::LaunchJobsRequest& request) {
  v1::LaunchJobsResponse response;
  for (const auto& launch : request.launches()) {
    const Status s = LaunchJob(launch);
    auto* result = response.add_results();
    if (!s.ok()) {
      result->set_code(ToErrorCode(s.code()));
      result->set_message(s.message());
    }
  }
  return response;
}

Status NodeDaemon::LaunchJob(const v1::LaunchJobRequest& request) {
  // The credential covers the allocation as the controller made it, before any mapping.
  if (Status s = VerifyLaunchCredential(request, options_.node_name, keys_.accepted,
                                        ToUnixMillis(std::chrono::system_clock::now()),
                                        config_.clock_skew_s);
      !s.ok()) {
    spdlog::warn("job {}: {}", request.job_id(), s.message());
    return s;
  }
  v1::LaunchJobRequest launch = request;
  if (options_.map_cores_to_host) {
    // A pretend node's core ids name fixture CPUs; its cpuset must name real ones.
    std::vector<uint32_t> host_cpus;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
      for (uint32_t c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &allowed)) host_cpus.push_back(c);
      }
    }
    if (host_cpus.empty()) host_cpus.push_back(0);
    for (auto& a : *launch.mutable_allocation()) {
      if (a.node() != options_.node_name) continue;
      const auto mapped = MapToHostCpus({a.core_ids().begin(), a.core_ids().end()}, host_cpus);
      a.mutable_core_ids()->Assign(mapped.begin(), mapped.end());
    }
  }
  const uint64_t id = launch.job_id();
  if (jobs_.count(id)) {
    // The same run again is a retried launch; another run means the controller requeued the
    // job while this node was out of touch, and the old run is still being killed.
    if (LaunchedRun(id) == launch.run()) return Status::Ok();
    (void)SignalJob(id, 0);  // the controller gave that run up: hasten its end
    return Status::AlreadyExists("job " + std::to_string(id) +
                                 ": its previous run is still ending on this node");
  }
  // The controller launches a job again (requeue) only after it recorded the previous run's
  // end, so a report still waiting for its acknowledgement is stale.
  unreported_.erase(id);
  end_batches_.Remove(id);
  DROVER_RETURN_IF_ERROR(CheckJobUser(launch.uid()));
  const std::string dir = JobDir(spool_, id);
  // A directory left by an earlier run goes first; a new job's does not exist (no walk).
  if (mkdir(dir.c_str(), 0700) != 0) {
    if (errno != EEXIST) return Status::IoError("cannot create " + dir + ": " + std::strerror(errno));
    RemoveTree(dir);
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::IoError("cannot create " + dir + ": " + std::strerror(errno));
    }
  }
  std::string bytes;
  launch.SerializeToString(&bytes);
  DROVER_RETURN_IF_ERROR(WriteFileAtomic(dir + "/launch.pb", bytes, 0600, Survives::kProcessCrash));
  const std::string script = ScriptPath(spool_, id);
  DROVER_RETURN_IF_ERROR(WriteFileAtomic(script, launch.spec().script(), 0500, Survives::kProcessCrash));
  if (geteuid() == 0 && chown(script.c_str(), launch.uid(), launch.gid()) != 0) {
    return Status::IoError("cannot hand " + script + " to uid " + std::to_string(launch.uid()));
  }

  // The supervisor's input: flat, so that it needs no protobuf (batch_plan.h). launch.pb stays
  // for noded itself (the run number after a restart).
  const BatchPlan plan = MakeBatchPlan(launch, options_.node_name, spool_);
  DROVER_RETURN_IF_ERROR(WriteFileAtomic(dir + "/plan", EncodeBatchPlan(plan), 0600, Survives::kProcessCrash));

  StepdOptions stepd = StepdOptions::FromConfig(config_, options_.node_name, spool_);
  stepd.job_dir = dir;
  stepd.cgroups = cgroups_ != nullptr;  // what noded found at start and told the controller
  stepd.cgroup_v1 = stepd_cgroup_v1_;
  auto pid = ForkBatchSupervisor(dir, stepd, plan);
  if (!pid.ok()) return pid.status();
  jobs_[id] = RunningJob{*pid, true, zygote_ != nullptr, launch.run()};
  spdlog::info("job {} started for {} (stepd {})", id, launch.user(), *pid);
  return Status::Ok();
}

Status NodeDaemon::CheckJobUser(uint32_t uid) const {
  if (geteuid() != 0 && uid != geteuid()) {
    return Status::PermissionDenied("drover-noded on " + options_.node_name + " runs as uid " +
                                    std::to_string(geteuid()) +
                                    ", not root, and can only run that user's jobs");
  }
  if (uid == 0 && !config_.allow_root_jobs) {
    return Status::PermissionDenied("jobs may not run as root on this cluster");
  }
  return Status::Ok();
}

// posix_spawn, not fork: glibc spawns with CLONE_VM|CLONE_VFORK, so noded's page tables are
// neither copied nor write-protected for every launch (a fork of noded and the copy-on-write
// faults after it cost more CPU than the exec on a paravirtualized host; bench/README.md).
Result<pid_t> NodeDaemon::SpawnStepd(const std::string& dir, std::vector<std::string> args,
                                     int pass_fd) {
  args.insert(args.begin(), "drover-stepd");
  const std::string log = dir + "/stepd.log";
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  // stepd lives in its own session so that stopping noded (or its service) leaves jobs alone.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  int handed = -1;
  if (pass_fd >= 0) {
    // A copy above 3 first: dup2 onto itself would keep close-on-exec set.
    handed = fcntl(pass_fd, F_DUPFD_CLOEXEC, 10);
    if (handed < 0) {
      posix_spawn_file_actions_destroy(&actions);
      posix_spawnattr_destroy(&attr);
      return Status::Internal(std::string("dup: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_adddup2(&actions, handed, 3);
  }
  posix_spawn_file_actions_addclosefrom_np(&actions, pass_fd >= 0 ? 4 : 3);
  pid_t pid = -1;
  const int err = posix_spawn(&pid, options_.stepd_path.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (handed >= 0) close(handed);
  if (err != 0) return Status::Internal("cannot start " + options_.stepd_path + ": " + std::strerror(err));
  return pid;
}

// The batch supervisor runs in a fork of noded, not in an exec'd drover-stepd: on the 2-CPU VM
// of bench/README.md the exec and the loading of stepd's libraries (protobuf, OpenSSL,
// libstdc++) were ~19 ms of CPU per job, a fork of noded and its copy-on-write faults ~8 ms.
// The child leaves everything of noded behind that an exec would have: its session, signal
// handlers and mask, file descriptors; it logs to stderr (stepd.log), never through spdlog,
// and ends with _exit so that none of noded's destructors or exit handlers run in it.
Result<pid_t> NodeDaemon::ForkBatchSupervisor(const std::string& dir, const StepdOptions& stepd,
                                              const BatchPlan& plan) {
  const std::string log = dir + "/stepd.log";
  if (zygote_) {
    // The plan is in dir/plan already; the child reads it there, as drover-stepd would.
    auto pid = zygote_->Spawn(log, stepd.ToArgs());
    if (pid.ok() || pid.status().code() != StatusCode::kUnavailable) return pid;
    LoseZygote(pid.status().message());
  }
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return Status::IoError("cannot open " + log + ": " + std::strerror(errno));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    close(log_fd);
    return Status::IoError(std::string("cannot open /dev/null: ") + std::strerror(errno));
  }
  const pid_t pid = fork();
  if (pid == 0) {
    // In its own session so that stopping noded (or its service) leaves the job alone.
    setsid();
    for (int sig = 1; sig < NSIG; ++sig) {
      struct sigaction old {};
      if (sigaction(sig, nullptr, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
          (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN)) {
        continue;  // as an exec would keep it
      }
      signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    if (close_range(3, ~0U, 0) != 0) {
      for (int f = 3; f < 1024; ++f) close(f);
    }
    prctl(PR_SET_NAME, "drover-stepd");
    _exit(SuperviseBatchJob(stepd, plan));
  }
  const int fork_errno = errno;
  close(log_fd);
  close(null_fd);
  if (pid < 0) return Status::Internal(std::string("fork: ") + std::strerror(fork_errno));
  return pid;
}

Status NodeDaemon::SignalJob(uint64_t job_id, int32_t signal, bool batch_only, bool steps_only,
                             std::optional<uint32_t> step_id) {
  if (steps_only && signal != 0) {
    if (SignalSteps(job_id, signal, step_id)) return Status::Ok();
    return Status::NotFound("job " + std::to_string(job_id) + " has no step " +
                            (step_id ? std::to_string(*step_id) + " " : std::string()) + "running on " +
                            options_.node_name);
  }
  const bool had_steps = !batch_only && SignalSteps(job_id, signal);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() && had_steps) return Status::Ok();
  if (it == jobs_.end()) {
    if (unreported_.count(job_id)) return Status::Ok();  // already over
    return Status::NotFound("job " + std::to_string(job_id) + " is not running on " + options_.node_name);
  }
  if (signal == 0) {
    kill(it->second.stepd, SIGTERM);
    return Status::Ok();
  }
  auto task = ReadPid(JobDir(spool_, job_id) + "/task.pid");
  if (!task.ok()) return Status::Unavailable("job " + std::to_string(job_id) + " has not started its script yet");
  if (batch_only) {
    if (kill(*task, signal) != 0) return Status::NotFound(std::string("cannot signal the batch shell: ") + std::strerror(errno));
    return Status::Ok();
  }
  if (kill(-*task, signal) != 0 && kill(*task, signal) != 0) {
    return Status::NotFound(std::string("cannot signal job: ") + std::strerror(errno));
  }
  return Status::Ok();
}

Status NodeDaemon::UpdateJobLimit(const v1::UpdateJobLimitRequest& request) {
  const uint64_t id = request.job_id();
  bool any = false;
  // The file first, then SIGHUP: a stepd reads the limit when told, and a noded restart in
  // between loses nothing.
  if (auto it = jobs_.find(id); it != jobs_.end()) {
    DROVER_RETURN_IF_ERROR(WriteFileAtomic(JobDir(spool_, id) + "/time_limit",
                                           std::to_string(request.time_limit_minutes()) + "\n", 0600,
                                           Survives::kProcessCrash));
    kill(it->second.stepd, SIGHUP);
    any = true;
  }
  for (const auto& [key, step] : steps_) {
    if (key.first != id) continue;
    DROVER_RETURN_IF_ERROR(WriteFileAtomic(StepDir(key) + "/deadline", std::to_string(request.deadline()) + "\n", 0600,
                                           Survives::kProcessCrash));
    kill(step.stepd, SIGHUP);
    any = true;
  }
  if (!any) return Status::NotFound("job " + std::to_string(id) + " is not running on " + options_.node_name);
  spdlog::info("job {}: time limit now {} minutes (0 = none)", id, request.time_limit_minutes());
  return Status::Ok();
}

void NodeDaemon::WaitChildren() {
  sigchld_->async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) Reap(pid, status);
    WaitChildren();
  });
}

void NodeDaemon::Reap(pid_t pid, int status) {
  if (ReapStep(pid, status)) return;
  for (auto& [id, job] : jobs_) {
    if (job.stepd == pid) {
      const std::string why = "drover-stepd ended without a result (status " + std::to_string(status) + ")";
      JobEnded(id, why);
      return;
    }
  }
}

void NodeDaemon::WatchZygote() {
  if (!zygote_exits_) {
    zygote_exits_ = std::make_unique<asio::posix::stream_descriptor>(io_, fcntl(zygote_->exits_fd(), F_DUPFD_CLOEXEC, 3));
  }
  zygote_exits_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const asio::error_code& ec) {
    if (ec || !zygote_) return;
    bool gone = false;
    for (const auto& e : zygote_->ReadExits(gone)) Reap(e.pid, e.status);
    if (gone) {
      LoseZygote("ended");
      return;
    }
    WatchZygote();
  });
}

// The supervisors it started are init's children now: watched by polling, as after a restart.
void NodeDaemon::LoseZygote(const std::string& why) {
  if (!zygote_) return;
  spdlog::warn("supervisor zygote {}: {}; batch supervisors are forked from drover-noded from now on", zygote_->pid(), why);
  for (auto& [id, job] : jobs_) {
    if (job.from_zygote) job.is_child = false;
  }
  if (zygote_exits_) {
    zygote_exits_->cancel();
    zygote_exits_->close();  // its handler still runs, with an error, after this object is gone
  }
  zygote_.reset();
}

// Adopted stepds are not our children: no SIGCHLD, so look at them once a second.
void NodeDaemon::ArmPoll() {
  poll_timer_->expires_after(std::chrono::seconds(1));
  poll_timer_->async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    std::vector<uint64_t> ended;
    for (const auto& [id, job] : jobs_) {
      if (!job.is_child && !ProcessAlive(job.stepd)) ended.push_back(id);
    }
    for (uint64_t id : ended) JobEnded(id, "drover-stepd ended without a result");
    PollSteps();
    ArmPoll();
  });
}

uint32_t NodeDaemon::LaunchedRun(uint64_t job_id) const {
  auto bytes = ReadWholeFile(JobDir(spool_, job_id) + "/launch.pb");
  v1::LaunchJobRequest launch;
  if (!bytes.ok() || !launch.ParseFromString(*bytes)) return 0;
  return launch.run();
}

void NodeDaemon::JobEnded(uint64_t job_id, const std::string& fallback_reason) {
  std::optional<uint32_t> run;
  if (auto it = jobs_.find(job_id); it != jobs_.end()) {
    run = it->second.run;
    jobs_.erase(it);
  }
  v1::JobFinishedRequest report;
  report.set_job_id(job_id);
  report.set_node(options_.node_name);
  report.set_run(run ? *run : LaunchedRun(job_id));  // read back only for an adopted stepd
  auto text = ReadWholeFile(JobDir(spool_, job_id) + "/result");
  auto result = text.ok() ? DecodeResult(*text) : Result<JobResult>(text.status());
  if (result.ok()) {
    const auto proto_state = [](JobState s) {
      switch (s) {
        case JobState::kCompleted: return v1::JOB_STATE_COMPLETED;
        case JobState::kCancelled: return v1::JOB_STATE_CANCELLED;
        case JobState::kTimeout: return v1::JOB_STATE_TIMEOUT;
        case JobState::kOutOfMemory: return v1::JOB_STATE_OUT_OF_MEMORY;
        default: return v1::JOB_STATE_FAILED;
      }
    };
    report.set_state(proto_state(result->state));
    report.set_exit_code(result->exit_code);
    report.set_exit_signal(result->exit_signal);
    report.set_reason(result->reason);
    report.mutable_usage()->set_total_cpu_ms(result->cpu_ms);
    report.mutable_usage()->set_max_rss_kb(result->max_rss_kb);
    report.set_drain_reason(result->drain_reason);
    report.set_requeue(result->requeue);
  } else {
    report.set_state(v1::JOB_STATE_FAILED);
    report.set_exit_code(1);
    report.set_reason(fallback_reason.empty() ? result.status().message() : fallback_reason);
    RemoveOrphanCgroups();  // stepd died without cleaning up
  }
  spdlog::info("job {} ended: {} exit {} signal {}{}", job_id, v1::JobState_Name(report.state()),
               report.exit_code(), report.exit_signal(), report.reason().empty() ? "" : " (" + report.reason() + ")");
  unreported_[job_id] = Unreported{report, next_seq_++};
  if (ctld_batches_) {
    end_batches_.Add(job_id);
    FlushEnds();
  } else {
    SendFinished(job_id);
  }
}

void NodeDaemon::ReportEnds() {
  if (!ctld_batches_) {
    for (const auto& [id, report] : unreported_) SendFinished(id);
    return;
  }
  for (const auto& [id, report] : unreported_) end_batches_.Add(id);
  FlushEnds();
}

// One jobs_finished in flight at a time: ends that come meanwhile go together with the next
// (ReportBatcher), so that a node whose jobs end close together costs the controller one
// message and one commit for many of them.
void NodeDaemon::FlushEnds() {
  if (!registered_) return;
  std::vector<std::pair<uint64_t, uint64_t>> sent;  // job id and report seq
  v1::Body body;
  auto* batch = body.mutable_jobs_finished();
  batch->set_node(options_.node_name);
  for (;;) {
    const std::vector<uint64_t> ids = end_batches_.Next();
    if (ids.empty()) return;
    for (uint64_t id : ids) {
      auto it = unreported_.find(id);
      if (it == unreported_.end()) continue;  // acknowledged meanwhile, or the job runs again
      *batch->add_reports() = it->second.report;
      sent.emplace_back(id, it->second.seq);
    }
    if (!sent.empty()) break;
    end_batches_.Done();  // nothing of it was left to send
  }
  ctld_->Call(Request(body), [this, sent = std::move(sent)](Result<v1::Envelope> response) {
    end_batches_.Done();
    auto result = BodyOrError(response);
    if (result.ok() && (!result->has_jobs_finished_response() ||
                        result->jobs_finished_response().results_size() != static_cast<int>(sent.size()))) {
      result = Status::Internal("unexpected reply to jobs_finished");
    }
    if (!result.ok()) {
      // Kept: sent again with the next heartbeat or registration.
      spdlog::warn("could not report the end of {} jobs: {}", sent.size(), result.status().message());
    } else {
      for (size_t i = 0; i < sent.size(); ++i) {
        const v1::Error& e = result->jobs_finished_response().results(static_cast<int>(i));
        if (e.code() == v1::ERROR_CODE_UNSPECIFIED || e.code() == v1::ERROR_CODE_PERMISSION_DENIED) {
          if (e.code() != v1::ERROR_CODE_UNSPECIFIED) {
            spdlog::warn("the controller refused the end of job {}: {}", sent[i].first, e.message());
          }
          EndAcknowledged(sent[i].first, sent[i].second);
        } else {
          spdlog::warn("could not report the end of job {}: {}", sent[i].first, e.message());
        }
      }
    }
    FlushEnds();
  });
}

void NodeDaemon::EndAcknowledged(uint64_t job_id, uint64_t seq) {
  auto current = unreported_.find(job_id);
  if (current == unreported_.end() || current->second.seq != seq) return;  // superseded
  unreported_.erase(current);
  if (jobs_.count(job_id)) return;  // already running again
  RemoveTree(JobDir(spool_, job_id));
  unlink(ScriptPath(spool_, job_id).c_str());
}

// Retried (on every registration) until the controller acknowledges; only then is the job's
// spool directory removed.
void NodeDaemon::SendFinished(uint64_t job_id) {
  auto it = unreported_.find(job_id);
  if (it == unreported_.end() || !registered_) return;
  v1::Body body;
  *body.mutable_job_finished() = it->second.report;
  const uint64_t seq = it->second.seq;
  ctld_->Call(Request(body), [this, job_id, seq](Result<v1::Envelope> response) {
    auto current = unreported_.find(job_id);
    if (current == unreported_.end() || current->second.seq != seq) return;  // superseded
    auto result = BodyOrError(response);
    if (!result.ok()) {
      spdlog::warn("could not report the end of job {}: {}", job_id, result.status().message());
      if (result.status().code() == StatusCode::kPermissionDenied) unreported_.erase(current);
      return;
    }
    unreported_.erase(current);
    if (jobs_.count(job_id)) return;  // already running again
    RemoveTree(JobDir(spool_, job_id));
    unlink(ScriptPath(spool_, job_id).c_str());
  });
}

}  // namespace drover::noded
