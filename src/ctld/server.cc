#include "ctld/server.h"

#include <grp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <pwd.h>
#include <spdlog/spdlog.h>

#include <asio.hpp>

#include "common/envelope.h"
#include "common/job_credential_proto.h"
#include "common/units.h"
#include "ctld/authorization.h"

namespace drover::ctld {
namespace {

std::string UserName(uint32_t uid) {
  struct passwd pw;
  struct passwd* result = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) == 0 && result != nullptr) return pw.pw_name;
  return std::to_string(uid);
}

std::string GroupName(uint32_t gid) {
  struct group gr;
  struct group* result = nullptr;
  char buf[8192];
  if (getgrgid_r(gid, &gr, buf, sizeof buf, &result) == 0 && result != nullptr) return gr.gr_name;
  return std::to_string(gid);
}

// How long a resolved user or group name is used before it is looked up again.
constexpr std::chrono::seconds kNameTtl(60);

v1::Body AckBody() {
  v1::Body b;
  b.mutable_ack();
  return b;
}

}  // namespace

CtldServer::CtldServer(asio::io_context& io, Controller& controller, Store& store, KeyRing keys,
                       std::shared_ptr<asio::ssl::context> server_tls,
                       std::shared_ptr<asio::ssl::context> client_tls, const Clock& clock)
    : io_(io),
      controller_(controller),
      store_(store),
      clock_(clock),
      keys_(std::move(keys)),
      verifier_(keys_.accepted, VerifierOptions{controller.config().clock_skew_s}),
      client_tls_(std::move(client_tls)),
      rpc_(io, std::move(server_tls),
           [this](const PeerInfo& peer, v1::Envelope req, RpcResponder respond) {
             Handle(peer, std::move(req), std::move(respond));
           },
           RpcServerOptions{controller.config().max_frame_bytes,
                            std::chrono::seconds(controller.config().idle_timeout_s),
                            std::chrono::seconds(10), 1024}),
      user_names_(UserName, kNameTtl),
      group_names_(GroupName, kNameTtl) {
  const Config& cfg = controller_.config();
  AuthSigner signer{keys_.signing, cfg.controller_host, cfg.credential_ttl_s,
                    [this] { return ToUnixMillis(clock_.SystemNow()); }};
  auth_ = std::make_unique<AuthSocketServer>(auth_io_, cfg.auth_socket, std::move(signer));
}

CtldServer::~CtldServer() { StopAuthThread(); }

void CtldServer::StopAuthThread() {
  if (!auth_thread_.joinable()) return;
  auth_io_.stop();
  auth_thread_.join();
}

void CtldServer::ReloadKeys(KeyRing keys) {
  keys_ = std::move(keys);
  verifier_.SetKeys(keys_.accepted);
  const Config& cfg = controller_.config();
  auth_->SetSigner(AuthSigner{keys_.signing, cfg.controller_host, cfg.credential_ttl_s,
                              [this] { return ToUnixMillis(clock_.SystemNow()); }});
}

Status CtldServer::Start(uint16_t port_override) {
  const Config& cfg = controller_.config();
  std::string bind = "0.0.0.0";
  asio::error_code ec;
  auto addr = asio::ip::make_address(cfg.controller_address, ec);
  if (!ec) bind = addr.to_string();
  DROVER_RETURN_IF_ERROR(rpc_.Listen(bind, port_override ? port_override : cfg.controller_port));
  Status auth = auth_->Start();
  if (auth.code() == StatusCode::kAlreadyExists) {
    spdlog::info("auth socket {} is served by another daemon on this host", cfg.auth_socket);
  } else if (!auth.ok()) {
    return auth.WithContext("auth socket");
  } else {
    auth_thread_ = std::thread([this] {
      auto work = asio::make_work_guard(auth_io_);
      auth_io_.run();
    });
  }
  timer_ = std::make_unique<asio::steady_timer>(io_);
  schedule_timer_ = std::make_unique<asio::steady_timer>(io_);
  ArmTimer();
  spdlog::info("drover-ctld for cluster {} listening on {}:{}", cfg.cluster_name, bind, port());
  return Status::Ok();
}

uint16_t CtldServer::port() const { return rpc_.port(); }

void CtldServer::Stop() {
  stopped_ = true;
  sched_pool_.join();  // a pass in flight finishes; its plan is dropped
  rpc_.Stop();
  StopAuthThread();  // AuthSocketServer::Stop wants its io_context idle
  auth_->Stop();
  if (timer_) timer_->cancel();
  if (schedule_timer_) schedule_timer_->cancel();
  for (auto& [name, client] : node_clients_) client->Close();
}

void CtldServer::ArmTimer() {
  timer_->expires_after(std::chrono::seconds(1));
  timer_->async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    controller_.Tick();
    PruneAccounting();
    ServeStepWaiters();
    CommitThen([](const Status& s) {
      if (!s.ok()) spdlog::error("could not save job state changes: {}", s.message());
    });
    // Events start passes over the top of the queue; every job's reason and priority come from
    // a full pass, once a second, or less often while one takes more than a fifth of that.
    RequestSchedule(clock_.MonotonicNow() >= last_full_end_ + 4 * last_full_duration_);
    ArmTimer();
  });
}

// accounting_retention: old finished jobs leave the database, checked at start and hourly.
void CtldServer::PruneAccounting() {
  const uint32_t keep = controller_.config().accounting_retention_s;
  const MonotonicTime now = clock_.MonotonicNow();
  if (keep == 0 || now < next_prune_) return;
  next_prune_ = now + std::chrono::hours(1);
  const int64_t cutoff = ToUnixSeconds(clock_.SystemNow()) - static_cast<int64_t>(keep);
  auto pruned = store_.PruneFinishedBefore(cutoff);
  if (!pruned.ok()) {
    spdlog::warn("could not prune old accounting records: {}", pruned.status().message());
  } else if (*pruned > 0) {
    spdlog::info("pruned {} finished jobs older than the accounting retention", *pruned);
  }
}

Result<Identity> CtldServer::Authenticate(const v1::Envelope& request) {
  if (!request.has_credential()) {
    return Status::Unauthenticated("request carries no credential");
  }
  const CredentialFields fields = CredentialFromProto(request.credential());
  Status s = verifier_.Verify(fields, request.body(), ToUnixMillis(clock_.SystemNow()));
  if (!s.ok()) {
    spdlog::warn("rejected credential (uid {} from {}): {}", fields.uid, fields.host, s.message());
    return s;
  }
  Identity id;
  id.uid = fields.uid;
  id.gid = fields.gid;
  id.groups = fields.groups;
  id.host = fields.host;
  const MonotonicTime now = clock_.MonotonicNow();
  id.user = user_names_.Get(fields.uid, now);
  id.group_names.push_back(group_names_.Get(fields.gid, now));
  for (uint32_t g : fields.groups) {
    if (g != fields.gid) id.group_names.push_back(group_names_.Get(g, now));
  }
  return id;
}

void CtldServer::Handle(const PeerInfo& peer, v1::Envelope request, RpcResponder respond) {
  auto body = ParseBody(request);
  if (!body.ok()) {
    respond(MakeErrorReply(request, body.status()));
    return;
  }
  v1::Body reply;
  auto fail = [&](const Status& s) { respond(MakeErrorReply(request, s)); };
  // Node daemons speak for themselves only: the certificate name must be the node's name.
  auto node_check = [&](const std::string& name) -> Status {
    if (peer.cert_name.empty()) {
      return Status::PermissionDenied("node requests need a node certificate");
    }
    if (peer.cert_name != name) {
      spdlog::warn("{} presented certificate {} but claims to be node {}", peer.address,
                   peer.cert_name, name);
      return Status::PermissionDenied("certificate name " + peer.cert_name +
                                      " does not match node name " + name);
    }
    return Status::Ok();
  };

  switch (body->kind_case()) {
    case v1::Body::kRegisterNode: {
      const auto& r = body->register_node();
      if (Status s = node_check(r.name()); !s.ok()) return fail(s);
      if (!r.config_hash().empty() && r.config_hash() != controller_.config().content_hash) {
        spdlog::warn("node {} runs with a different drover.yaml (hash {} vs {})", r.name(),
                     r.config_hash().substr(0, 12), controller_.config().content_hash.substr(0, 12));
      }
      auto result = controller_.RegisterNode(r);
      if (!result.ok()) return fail(result.status());
      spdlog::info("node {} registered ({} CPUs, {} MB, {} running jobs{}{})", r.name(), r.cpus(),
                   r.memory_mb(), r.running_job_ids_size(), r.topology_source().empty() ? "" : ", topology from ",
                   r.topology_source());
      for (const auto& notice : controller_.TakeNotices()) spdlog::warn("{}", notice);
      *reply.mutable_register_node_response() = *result;
      RequestSchedule();
      break;
    }
    case v1::Body::kHeartbeat: {
      const auto& r = body->heartbeat();
      if (Status s = node_check(r.name()); !s.ok()) return fail(s);
      auto result = controller_.Heartbeat(r);
      if (!result.ok()) return fail(result.status());
      *reply.mutable_heartbeat_response() = *result;
      break;
    }
    case v1::Body::kJobFinished: {
      const auto& r = body->job_finished();
      if (Status s = node_check(r.node()); !s.ok()) return fail(s);
      if (Status s = controller_.JobFinished(r); !s.ok()) return fail(s);
      spdlog::info("job {} ended on {}: exit {} signal {}", r.job_id(), r.node(), r.exit_code(),
                   r.exit_signal());
      // Acknowledged only once recorded: the node keeps the result until then.
      CommitThen([this, request, respond](const Status& s) {
        if (!s.ok()) return respond(MakeErrorReply(request, s));
        respond(MakeReply(request, AckBody()));
        RequestSchedule();
      });
      return;
    }
    case v1::Body::kJobsFinished: {
      // The ends of several jobs of one node: recorded together, one commit, one answer.
      const auto& r = body->jobs_finished();
      if (Status s = node_check(r.node()); !s.ok()) return fail(s);
      v1::Body answer;
      auto* results = answer.mutable_jobs_finished_response();
      for (const auto& one : r.reports()) {
        Status s = one.node() == r.node()
                       ? controller_.JobFinished(one)
                       : Status::PermissionDenied("the report of job " + std::to_string(one.job_id()) + " names node " +
                                                  one.node() + " in a batch from " + r.node());
        auto* result = results->add_results();
        if (!s.ok()) {
          result->set_code(ToErrorCode(s.code()));
          result->set_message(s.message());
          continue;
        }
        spdlog::info("job {} ended on {}: exit {} signal {}", one.job_id(), one.node(), one.exit_code(),
                     one.exit_signal());
      }
      request.clear_body();
      CommitThen([this, request, respond, answer = std::move(answer)](const Status& s) {
        if (!s.ok()) return respond(MakeErrorReply(request, s));
        respond(MakeReply(request, answer));
        RequestSchedule();
      });
      return;
    }
    case v1::Body::kSubmitJob: {
      auto who = Authenticate(request);
      if (!who.ok()) return fail(who.status());
      // Moved, not copied: with sbatch's environment the spec is a few dozen messages.
      auto id = controller_.Submit(std::move(*body->mutable_submit_job()->mutable_spec()), *who);
      if (!id.ok()) return fail(id.status());
      const uint64_t job_id = *id;
      const std::string user = who->user;
      // The answer needs the request's id only; its body and credential stay out of the copy.
      request.clear_body();
      request.clear_credential();
      // No accepted job is ever lost: the id goes out only after the job is on disk.
      CommitThen([this, request, respond, job_id, user](const Status& s) {
        controller_.SubmitCommitted(job_id, s);
        if (!s.ok()) {
          spdlog::error("job submission by {} not saved: {}", user, s.message());
          return respond(MakeErrorReply(request, Status(s.code(), "the controller could not save the job: " + s.message())));
        }
        spdlog::info("job {} submitted by {}", job_id, user);
        v1::Body ok;
        ok.mutable_submit_job_response()->set_job_id(job_id);
        respond(MakeReply(request, ok));
        RequestSchedule();
      });
      return;
    }
    case v1::Body::kCancelJob: {
      auto who = Authenticate(request);
      if (!who.ok()) return fail(who.status());
      const auto& r = body->cancel_job();
      std::vector<SignalAction> actions;
      auto results = controller_.Cancel({r.job_ids().begin(), r.job_ids().end()}, r.signal(), *who,
                                        &actions, {r.job_id_texts().begin(), r.job_id_texts().end()});
      for (auto& res : results) *reply.mutable_cancel_job_response()->add_results() = res;
      if (results.empty()) reply.mutable_cancel_job_response();
      for (const auto& a : actions) Signal(a);
      CommitThen([this, request, respond, reply](const Status& s) {
        if (!s.ok()) return respond(MakeErrorReply(request, Status(s.code(), "the cancel was not saved: " + s.message())));
        respond(MakeReply(request, reply));
        RequestSchedule();
      });
      return;
    }
    case v1::Body::kUpdatePartition: {
      auto who = Authenticate(request);
      if (!who.ok()) return fail(who.status());
      Status done = controller_.UpdatePartition(body->update_partition(), *who);
      if (!done.ok()) return fail(done);
      spdlog::info("partition {}: State={} by {}", body->update_partition().name(),
                   body->update_partition().state(), who->user);
      reply.mutable_update_partition_response();
      respond(MakeReply(request, reply));
      // Full: every pending job of the partition gets its new reason (PartitionDown, ...).
      RequestSchedule(true);
      return;
    }
    case v1::Body::kUpdateNode: {
      auto who = Authenticate(request);
      if (!who.ok()) return fail(who.status());
      std::vector<SignalAction> actions;
      auto results = controller_.UpdateNodes(body->update_node(), *who, &actions);
      auto* out = reply.mutable_update_node_response();
      for (auto& res : results) *out->add_results() = res;
      for (const auto& a : actions) Signal(a);
      for (const auto& res : results) {
        if (res.code() == v1::ERROR_CODE_UNSPECIFIED) {
          spdlog::info("node {}: {} by {} ({})", res.job_id_text(),
                       v1::NodeAction_Name(body->update_node().action()), who->user,
                       body->update_node().reason());
        }
      }
      CommitThen([this, request, respond, reply](const Status& s) {
        if (!s.ok()) return respond(MakeErrorReply(request, Status(s.code(), "the change was not saved: " + s.message())));
        respond(MakeReply(request, reply));
        RequestSchedule();
      });
      return;
    }
    case v1::Body::kReconfigure: {
      auto who = Authenticate(request);
      if (!who.ok()) return fail(who.status());
      if (!IsOperator(controller_.config(), *who)) {
        return fail(Status::PermissionDenied("access/permission denied: only root and operators may reconfigure the cluster"));
      }
      if (!reconfigure_) return fail(Status::Unsupported("this controller cannot reconfigure"));
      spdlog::info("reconfigure asked by {}", who->user);
      if (Status s = reconfigure_(); !s.ok()) {
        return fail(Status(s.code(), "reconfigure refused, the running configuration is kept: " + s.message()));
      }
      // Then every node that is up re-reads its copy; a node that misses it keeps its
      // configuration (and says so in its log and in ours).
      auto* out = reply.mutable_reconfigure_response();
      for (const auto& change : controller_.last_reconfigure_changes()) out->add_changed(change);
      for (const auto& n : controller_.config().nodes) {
        const NodeRecord* node = controller_.FindNode(n.name);
        if (node == nullptr || !node->registered || node->down) continue;
        out->add_nodes(n.name);
        v1::Body ask;
        ask.mutable_reconfigure();
        const std::string name = n.name;
        ClientFor(name)->Call(MakeEnvelope(ask), [name](Result<v1::Envelope> response) {
          auto result = BodyOrError(response);
          if (!result.ok()) {
            spdlog::warn("node {} did not reload its configuration: {}", name, result.status().message());
          } else {
            spdlog::info("node {} reloaded its configuration", name);
          }
        });
      }
      break;
    }
    case v1::Body::kUpdateJob: {
      auto who = Authenticate(request);
      if (!who.ok()) return fail(who.status());
      const auto& r = body->update_job();
      auto results = controller_.UpdateJob(r, *who);
      auto* out = reply.mutable_update_job_response();
      for (auto& res : results) *out->add_results() = res;
      for (const auto& res : results) {
        if (res.code() != v1::ERROR_CODE_UNSPECIFIED) continue;
        std::string limit;
        if (r.set_time_limit()) limit = " TimeLimit=" + FormatTimeLimit(r.time_limit_minutes());
        if (r.add_time_limit()) {
          const int64_t d = r.time_limit_delta_minutes();
          limit = std::string(" TimeLimit") + (d < 0 ? "-=" : "+=") + std::to_string(d < 0 ? -d : d) + "min";
        }
        spdlog::info("job {} updated by {}:{}{}", res.job_id(), who->user, limit,
                     r.partition().empty() ? "" : " Partition=" + r.partition());
      }
      // Answered once the change is on disk, like hold and release; running jobs' nodes learn
      // the new limit after that.
      auto limits = controller_.TakeLimitUpdates();
      CommitThen([this, request, respond, reply, limits = std::move(limits)](const Status& s) {
        if (!s.ok()) return respond(MakeErrorReply(request, Status(s.code(), "the change was not saved: " + s.message())));
        for (const auto& l : limits) SendLimit(l);
        respond(MakeReply(request, reply));
        RequestSchedule();
      });
      return;
    }
    case v1::Body::kControlJob: {
      auto who = Authenticate(request);
      if (!who.ok()) return fail(who.status());
      const auto& r = body->control_job();
      std::vector<SignalAction> actions;
      auto results = controller_.Control(r.action(), {r.job_ids().begin(), r.job_ids().end()},
                                         {r.job_id_texts().begin(), r.job_id_texts().end()}, *who, &actions);
      for (auto& res : results) *reply.mutable_control_job_response()->add_results() = res;
      if (results.empty()) reply.mutable_control_job_response();
      for (const auto& a : actions) Signal(a);
      CommitThen([this, request, respond, reply](const Status& s) {
        if (!s.ok()) return respond(MakeErrorReply(request, Status(s.code(), "the change was not saved: " + s.message())));
        respond(MakeReply(request, reply));
        RequestSchedule();
      });
      return;
    }
    case v1::Body::kQueryAcct: {
      std::optional<Identity> viewer;
      if (peer.cert_name.empty()) {
        auto who = Authenticate(request);
        if (!who.ok()) return fail(who.status());
        viewer = *who;
      }
      const auto& r = body->query_acct();
      AcctQuery q;
      // An array's id also names its elements, which have ids of their own (SA-3).
      q.job_ids = controller_.WithArrayElements({r.job_ids().begin(), r.job_ids().end()});
      q.users.assign(r.users().begin(), r.users().end());
      q.start_after = r.start_after();
      q.end_before = r.end_before();
      auto jobs = store_.QueryJobs(q);
      if (!jobs.ok()) return fail(jobs.status());
      auto* out = reply.mutable_query_acct_response();
      for (const auto& job : *jobs) Controller::FillJobInfo(job, out->add_jobs());
      if (viewer) ApplyVisibility(controller_.config(), *viewer, out);
      break;
    }
    case v1::Body::kQueryJobs: {
      std::optional<Identity> viewer;
      if (peer.cert_name.empty()) {
        auto who = Authenticate(request);
        if (!who.ok()) return fail(who.status());
        viewer = *who;
      }
      const auto& query = body->query_jobs();
      *reply.mutable_query_jobs_response() = controller_.QueryJobs(query, viewer ? &*viewer : nullptr);
      // Only --json and --explain show them; a listing of 100,000 jobs would carry as many. Never
      // with a table: ApplyVisibility hides the rows of hidden jobs by the JobInfo rows.
      const bool priorities = query.with_priorities() && !query.table();
      // Under private_jobs others' rows go too, also those of jobs the query did not list
      // (--explain ID lists one job but ranks it among all).
      const bool hide = viewer && controller_.config().private_jobs;
      if (priorities) controller_.VisitPriorities([&](const sched::PriorityExplanation& p) {
        if (hide) {
          const JobRecord* job = controller_.FindJob(p.id);
          if (job == nullptr || JobVisibility(controller_.config(), *viewer, job->owner.uid) == Visibility::kHidden) {
            return;
          }
        }
        auto* out = reply.mutable_query_jobs_response()->add_priorities();
        out->set_job_id(p.id);
        out->set_user(p.user);
        out->set_age(p.age);
        out->set_fairshare(p.fairshare);
        out->set_job_size(p.job_size);
        out->set_partition(p.partition);
        out->set_age_part(p.age_part);
        out->set_fairshare_part(p.fairshare_part);
        out->set_job_size_part(p.job_size_part);
        out->set_partition_part(p.partition_part);
        out->set_nice(p.nice);
        out->set_priority(p.priority);
        out->set_user_usage_cpu_seconds(p.user_usage_cpu_seconds);
      });
      if (viewer) ApplyVisibility(controller_.config(), *viewer, reply.mutable_query_jobs_response());
      break;
    }
    case v1::Body::kQueryNodes: {
      if (peer.cert_name.empty()) {
        if (auto who = Authenticate(request); !who.ok()) return fail(who.status());
      }
      *reply.mutable_query_nodes_response() = controller_.QueryNodes();
      AddKindUsage(reply.mutable_query_nodes_response());
      break;
    }
    case v1::Body::kCreateStep: {
      auto who = Authenticate(request);
      if (!who.ok()) return fail(who.status());
      StepWaiter w;
      w.job_id = body->create_step().job_id();
      w.request = std::move(request);
      w.respond = std::move(respond);
      w.who = *who;
      TryCreateStep(std::move(w), true);
      return;
    }
    case v1::Body::kStepFinished: {
      const auto& r = body->step_finished();
      if (Status s = node_check(r.node()); !s.ok()) return fail(s);
      if (Status s = controller_.StepFinished(r); !s.ok()) return fail(s);
      spdlog::info("step {}.{} ended on {}: exit {} signal {}", r.job_id(), r.step_id(), r.node(),
                   r.exit_code(), r.exit_signal());
      CommitThen([this, request, respond](const Status& s) {
        if (!s.ok()) return respond(MakeErrorReply(request, s));
        respond(MakeReply(request, AckBody()));
        RequestSchedule();
      });
      return;
    }
    case v1::Body::kCompleteJob: {
      auto who = Authenticate(request);
      if (!who.ok()) return fail(who.status());
      if (Status s = controller_.CompleteJob(body->complete_job(), *who); !s.ok()) return fail(s);
      CommitThen([this, request, respond](const Status& s) {
        if (!s.ok()) return respond(MakeErrorReply(request, s));
        respond(MakeReply(request, AckBody()));
        RequestSchedule();
      });
      return;
    }
    default:
      return fail(Status::Unsupported("drover-ctld does not serve this request type"));
  }
  respond(MakeReply(request, reply));
}

// Free and total cores per CPU kind, fastest kind first, for sinfo and drover info.
void CtldServer::AddKindUsage(v1::QueryNodesResponse* response) const {
  const Config& cfg = controller_.config();
  for (auto& info : *response->mutable_nodes()) {
    const NodeRecord* rec = controller_.FindNode(info.name());
    if (rec == nullptr) continue;
    const NodeConfig* nc = &rec->config;  // the entry in effect (topology_policy hardware)
    std::vector<const CoreKindConfig*> kinds;
    for (const auto& k : nc->cores) kinds.push_back(&k);
    auto rank = [&](const CoreKindConfig* k) {
      auto it = std::find(cfg.cpu_kinds.begin(), cfg.cpu_kinds.end(), k->kind);
      return it - cfg.cpu_kinds.begin();
    };
    std::stable_sort(kinds.begin(), kinds.end(),
                     [&](const auto* a, const auto* b) { return rank(a) < rank(b); });
    for (const auto* k : kinds) {
      auto* usage = info.add_kinds();
      usage->set_kind(k->kind);
      usage->set_total(static_cast<uint32_t>(k->cpu_ids.size()));
      uint32_t free = 0;
      for (uint32_t id : k->cpu_ids) free += rec->used_cores.count(id) ? 0 : 1;
      const bool usable = info.state() != v1::NODE_STATE_DOWN && info.state() != v1::NODE_STATE_UNKNOWN &&
                          info.state() != v1::NODE_STATE_DRAINED && info.state() != v1::NODE_STATE_DRAINING &&
                          info.state() != v1::NODE_STATE_INVALID;
      usage->set_free(usable ? free : 0);
    }
  }
}

void CtldServer::RequestSchedule(bool full) {
  full_pass_wanted_ = full_pass_wanted_ || full;
  if (pass_running_) {
    schedule_again_ = true;
    return;
  }
  if (schedule_pending_) return;
  schedule_pending_ = true;
  const MonotonicTime earliest = last_pass_end_ + 2 * last_pass_duration_;
  const MonotonicTime now = clock_.MonotonicNow();
  if (earliest <= now || !schedule_timer_) {
    asio::post(io_, [this] { RunSchedule(); });
    return;
  }
  schedule_timer_->expires_after(std::min<std::chrono::steady_clock::duration>(earliest - now, std::chrono::seconds(5)));
  schedule_timer_->async_wait([this](const asio::error_code& ec) {
    if (ec) {
      schedule_pending_ = false;
      return;
    }
    RunSchedule();
  });
}

// The snapshot is taken here, on the strand; the pass runs on sched_pool_ while requests are
// served; its plan comes back to the strand to be applied.
void CtldServer::RunSchedule() {
  schedule_pending_ = false;
  if (stopped_) return;
  pass_running_ = true;
  const MonotonicTime start = clock_.MonotonicNow();
  auto pass = std::make_shared<Controller::PreparedPass>(controller_.PreparePass(full_pass_wanted_));
  full_pass_wanted_ = false;
  const MonotonicTime prepared = clock_.MonotonicNow();
  asio::post(sched_pool_, [this, pass, start, prepared] {
    auto plan = std::make_shared<sched::Plan>(Controller::RunPass(*pass));
    const auto pass_time = clock_.MonotonicNow() - prepared;
    asio::post(io_, [this, pass, plan, start, prepared, pass_time] {
      const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
      const MonotonicTime a0 = clock_.MonotonicNow();
      FinishSchedule(*pass, std::move(*plan), start);
      spdlog::debug("scheduling pass over {} pending jobs: snapshot {} ms and apply {} ms on the io thread, pass {} ms",
                    pass->snapshot.PendingCount(), ms(prepared - start), ms(clock_.MonotonicNow() - a0), ms(pass_time));
      controller_.RecyclePass(*pass);
    });
  });
}

void CtldServer::FinishSchedule(Controller::PreparedPass& pass, sched::Plan plan, MonotonicTime start) {
  pass_running_ = false;
  if (stopped_) return;
  bool stale = false;
  auto launches = controller_.ApplyPass(pass, std::move(plan), &stale);
  last_pass_end_ = clock_.MonotonicNow();
  last_pass_duration_ = last_pass_end_ - start;
  if (pass.full) {
    last_full_end_ = last_pass_end_;
    last_full_duration_ = last_pass_duration_;
  }
  // A job is launched only once its start is on disk, so a restart never starts it twice.
  CommitThen([this, launches = std::move(launches)](const Status& s) mutable {
    ServeStepWaiters();
    if (!s.ok()) {
      for (const auto& launch : launches) {
        spdlog::error("start of job {} not saved, keeping it pending: {}", launch.request.job_id(), s.message());
        controller_.RevertStart(launch.request.job_id());
      }
      return;
    }
    Launch(std::move(launches));
  });
  if (stale || schedule_again_) {
    schedule_again_ = false;
    RequestSchedule();
  }
}

void CtldServer::CommitThen(std::function<void(Status)> then) {
  for (const auto& a : controller_.TakeSignals()) Signal(a);
  StoreBatch batch = controller_.TakeBatch();
  if (batch.jobs.empty() && batch.nodes.empty() && batch.next_job_id == 0) {
    then(Status::Ok());
    return;
  }
  std::vector<uint64_t> job_ids;
  for (const auto& j : batch.jobs) job_ids.push_back(j.job_id());
  std::vector<std::string> node_names;
  for (const auto& n : batch.nodes) node_names.push_back(n.name());
  const bool had_next_id = batch.next_job_id != 0;
  store_.Commit(std::move(batch), [this, job_ids = std::move(job_ids),
                                   node_names = std::move(node_names), had_next_id,
                                   then = std::move(then)](Status s) {
    // A change that did not reach the disk (full, unwritable) is written with the next commit
    // that does, so a job's end reported while the disk was full is not lost once it is freed.
    if (!s.ok()) controller_.CommitFailed(job_ids, node_names, had_next_id);
    then(s);
  });
}

std::shared_ptr<RpcClient> CtldServer::ClientFor(const std::string& node) {
  auto it = node_clients_.find(node);
  if (it != node_clients_.end()) return it->second;
  const NodeConfig* nc = controller_.config().FindNode(node);
  auto client = RpcClient::Create(io_, client_tls_, nc->address, nc->port, nc->name,
                                  RpcClientOptions{controller_.config().max_frame_bytes,
                                                   std::chrono::seconds(5), std::chrono::seconds(30)});
  node_clients_.emplace(node, client);
  return client;
}

Status CtldServer::AddPayload(v1::LaunchJobRequest& launch) {
  v1::JobSpec& spec = *launch.mutable_spec();
  // Jobs stored before payloads were kept apart still carry their script in the spec.
  if (spec.interactive() || !spec.script().empty()) return Status::Ok();
  // An array's elements share the payload stored under the array's id: read and parsed once
  // and kept for the next elements (a stored payload never changes), a few arrays at a time.
  const uint64_t owner = launch.array_job_id() ? launch.array_job_id() : launch.job_id();
  const bool shared = launch.array_job_id() != 0;
  auto cached = std::find_if(payloads_.begin(), payloads_.end(), [owner](const auto& p) { return p.first == owner; });
  if (cached == payloads_.end()) {
    auto data = store_.LoadPayload(owner);
    if (!data.ok()) return data.status();
    v1::JobSpec payload;
    if (!payload.ParseFromString(*data)) return Status::Internal("the stored script of job " + std::to_string(owner) + " is corrupt");
    if (!shared) {
      spec.mutable_script()->swap(*payload.mutable_script());
      spec.mutable_environment()->Swap(payload.mutable_environment());
      return Status::Ok();
    }
    if (payloads_.size() >= kCachedPayloads) payloads_.pop_back();
    payloads_.emplace_front(owner, std::move(payload));
    cached = payloads_.begin();
  } else if (cached != payloads_.begin()) {
    payloads_.splice(payloads_.begin(), payloads_, cached);
    cached = payloads_.begin();
  }
  spec.set_script(cached->second.script());
  *spec.mutable_environment() = cached->second.environment();
  return Status::Ok();
}

// Each node gets the jobs this pass starts on it in one launch_jobs message when its noded
// serves that (RegisterNodeRequest.batch_rpcs), else one launch_job per job.
void CtldServer::Launch(std::vector<LaunchAction> launches) {
  std::map<std::string, std::vector<v1::LaunchJobRequest>> by_node;
  const int64_t expires_at_ms =
      ToUnixMillis(clock_.SystemNow()) + int64_t{controller_.config().credential_ttl_s} * 1000;
  for (auto& action : launches) {
    v1::LaunchJobRequest& launch = action.request;
    if (Status s = AddPayload(launch); !s.ok()) {
      // Never expected (it was committed with the job): the job fails instead of running without its script.
      spdlog::error("job {}: {}", launch.job_id(), s.message());
      controller_.LaunchFailed(launch.job_id(), action.node, launch.run(), s);
      RequestSchedule();
      continue;
    }
    const std::vector<uint32_t> groups(launch.groups().begin(), launch.groups().end());
    *launch.mutable_job_credential() = SignGrant(keys_.signing, launch.job_id(), kBatchStepId, launch.uid(),
                                                 launch.gid(), groups, launch.allocation(), expires_at_ms);
    spdlog::info("starting job {} on {}", launch.job_id(), launch.node_list());
    by_node[action.node].push_back(std::move(launch));
  }
  for (auto& [node, jobs] : by_node) {
    const NodeRecord* record = controller_.FindNode(node);
    if (record != nullptr && record->batch_rpcs && jobs.size() > 1) {
      SendLaunches(node, std::move(jobs));
    } else {
      for (auto& launch : jobs) SendLaunch(node, std::move(launch));
    }
  }
}

void CtldServer::SendLaunch(const std::string& node, v1::LaunchJobRequest launch) {
  const uint64_t job_id = launch.job_id();
  const uint32_t run = launch.run();
  v1::Body body;
  *body.mutable_launch_job() = std::move(launch);
  ClientFor(node)->Call(MakeEnvelope(body), [this, job_id, run, node](Result<v1::Envelope> response) {
    auto result = BodyOrError(response);
    if (!result.ok()) {
      spdlog::warn("launch of job {} on {} failed: {}", job_id, node, result.status().message());
      controller_.LaunchFailed(job_id, node, run, result.status());
      RequestSchedule();
    }
  });
}

void CtldServer::SendLaunches(const std::string& node, std::vector<v1::LaunchJobRequest> launches) {
  std::vector<std::pair<uint64_t, uint32_t>> runs;  // job id and run, in the message's order
  v1::Body body;
  auto* batch = body.mutable_launch_jobs();
  for (auto& launch : launches) {
    runs.emplace_back(launch.job_id(), launch.run());
    *batch->add_launches() = std::move(launch);
  }
  ClientFor(node)->Call(MakeEnvelope(body), [this, runs = std::move(runs), node](Result<v1::Envelope> response) {
    auto result = BodyOrError(response);
    Status all = result.status();
    if (result.ok() && (!result->has_launch_jobs_response() ||
                        result->launch_jobs_response().results_size() != static_cast<int>(runs.size()))) {
      all = Status::Internal("unexpected reply to launch_jobs");
    }
    bool failed = false;
    for (size_t i = 0; i < runs.size(); ++i) {
      Status s = all;
      if (s.ok()) {
        const v1::Error& e = result->launch_jobs_response().results(static_cast<int>(i));
        if (e.code() != v1::ERROR_CODE_UNSPECIFIED) s = Status(FromErrorCode(e.code()), e.message());
      }
      if (s.ok()) continue;
      spdlog::warn("launch of job {} on {} failed: {}", runs[i].first, node, s.message());
      controller_.LaunchFailed(runs[i].first, node, runs[i].second, s);
      failed = true;
    }
    if (failed) RequestSchedule();
  });
}

void CtldServer::Signal(const SignalAction& action) {
  v1::Body body;
  body.mutable_signal_job()->set_job_id(action.job_id);
  body.mutable_signal_job()->set_signal(action.signal);
  body.mutable_signal_job()->set_batch_only(action.batch_only);
  body.mutable_signal_job()->set_steps_only(action.steps_only);
  if (action.step_id) {
    body.mutable_signal_job()->set_one_step(true);
    body.mutable_signal_job()->set_step_id(*action.step_id);
  }
  if (action.batch_only || action.steps_only) {
    spdlog::info("job {}: signal {} to its {} on {} (--signal, before its time limit)", action.job_id,
                 action.signal,
                 action.batch_only ? "batch shell"
                 : action.step_id  ? "step " + std::to_string(*action.step_id)
                                   : std::string("steps"),
                 action.node);
  }
  const uint64_t job_id = action.job_id;
  const std::string node = action.node;
  ClientFor(node)->Call(MakeEnvelope(body), [job_id, node](Result<v1::Envelope> response) {
    auto result = BodyOrError(response);
    if (!result.ok()) {
      // The node's next heartbeat is answered with the cancel again.
      spdlog::warn("signal for job {} on {} not delivered: {}", job_id, node,
                   result.status().message());
    }
  });
}

void CtldServer::SendLimit(const LimitAction& action) {
  v1::Body body;
  auto* r = body.mutable_update_job_limit();
  r->set_job_id(action.job_id);
  r->set_time_limit_minutes(action.time_limit_minutes);
  r->set_deadline(action.deadline);
  const uint64_t job_id = action.job_id;
  const std::string node = action.node;
  ClientFor(node)->Call(MakeEnvelope(body), [job_id, node](Result<v1::Envelope> response) {
    auto result = BodyOrError(response);
    if (!result.ok()) {
      // The node keeps enforcing the limit it had; the job may end at its old limit.
      spdlog::warn("new time limit of job {} not delivered to {}: {}", job_id, node, result.status().message());
    }
  });
}

// A CreateStep for a pending job is held (up to its wait, at most 25 s so that the CLI's call
// timeout never fires) and answered once the job runs, or `pending` so that srun asks again.
void CtldServer::TryCreateStep(StepWaiter waiter, bool may_wait) {
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    waiter.respond(MakeErrorReply(waiter.request, Status::Internal("no random bytes for the step's I/O key")));
    return;
  }
  auto body = ParseBody(waiter.request);
  auto launch = controller_.CreateStep(body->create_step(), waiter.who, key);
  if (!launch.ok()) {
    waiter.respond(MakeErrorReply(waiter.request, launch.status()));
    return;
  }
  if (launch->response.pending()) {
    const uint32_t wait_ms = std::min<uint32_t>(body->create_step().wait_ms(), 25'000);
    if (may_wait && wait_ms > 0) {
      waiter.deadline = clock_.MonotonicNow() + std::chrono::milliseconds(wait_ms);
      step_waiters_.push_back(std::move(waiter));
      return;
    }
    v1::Body reply;
    *reply.mutable_create_step_response() = launch->response;
    waiter.respond(MakeReply(waiter.request, reply));
    return;
  }
  StartStep(std::move(*launch), waiter.request, std::move(waiter.respond));
}

void CtldServer::ServeStepWaiters() {
  if (step_waiters_.empty()) return;
  const MonotonicTime now = clock_.MonotonicNow();
  std::vector<StepWaiter> ready;
  for (auto it = step_waiters_.begin(); it != step_waiters_.end();) {
    const JobRecord* job = controller_.FindJob(it->job_id);
    if (job == nullptr || job->state != JobState::kPending || now >= it->deadline) {
      ready.push_back(std::move(*it));
      it = step_waiters_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& w : ready) TryCreateStep(std::move(w), false);
}

void CtldServer::StartStep(StepLaunch launch, const v1::Envelope& request, RpcResponder respond) {
  struct Pending {
    v1::CreateStepResponse response;
    size_t remaining = 0;
    Status failure;
    v1::Envelope request;
    RpcResponder respond;
  };
  auto pending = std::make_shared<Pending>();
  pending->response = std::move(launch.response);
  pending->remaining = launch.launches.size();
  pending->request = request;
  pending->respond = std::move(respond);
  const uint64_t job_id = pending->response.job_id();
  const uint32_t step_id = pending->response.step_id();
  spdlog::info("starting step {}.{} on {}", job_id, step_id, pending->response.node_list());
  // The step's record is saved alongside; its launch does not wait for the commit (a step
  // lost at a controller restart is only missing from sacct).
  CommitThen([job_id, step_id](const Status& s) {
    if (!s.ok()) spdlog::error("step {}.{} not saved: {}", job_id, step_id, s.message());
  });
  const int64_t expires_at_ms =
      ToUnixMillis(clock_.SystemNow()) + int64_t{controller_.config().credential_ttl_s} * 1000;
  for (auto& a : launch.launches) {
    v1::LaunchStepRequest& r = a.request;
    const std::vector<uint32_t> groups(r.groups().begin(), r.groups().end());
    *r.mutable_job_credential() = SignGrant(keys_.signing, job_id, step_id, r.uid(), r.gid(),
                                            groups, r.job().allocation(), expires_at_ms);
    v1::Body body;
    *body.mutable_launch_step() = std::move(a.request);
    const std::string node = a.node;
    ClientFor(node)->Call(MakeEnvelope(body), [this, pending, node, job_id, step_id](Result<v1::Envelope> response) {
      auto result = BodyOrError(response);
      if (!result.ok() || !result->has_launch_step_response()) {
        Status why = result.ok() ? Status::Internal("unexpected reply to launch_step") : result.status();
        spdlog::warn("launch of step {}.{} on {} failed: {}", job_id, step_id, node, why.message());
        if (pending->failure.ok()) pending->failure = Status(why.code(), "cannot start the step on " + node + ": " + why.message());
        controller_.StepLaunchFailed(job_id, step_id, node, why);
        CommitThen([](const Status&) {});
      } else {
        for (auto& n : *pending->response.mutable_nodes()) {
          if (n.node() == node) n.set_port(result->launch_step_response().port());
        }
      }
      if (--pending->remaining > 0) return;
      if (!pending->failure.ok()) {
        // Nodes that did start their part are told to end it.
        controller_.StepLaunchFailed(job_id, step_id, "", pending->failure);
        CommitThen([](const Status&) {});
        pending->respond(MakeErrorReply(pending->request, pending->failure));
        return;
      }
      v1::Body reply;
      *reply.mutable_create_step_response() = pending->response;
      pending->respond(MakeReply(pending->request, reply));
    });
  }
}

}  // namespace drover::ctld
