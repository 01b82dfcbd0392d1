// CtldServer: drover-ctld's network shell around the Controller.
//
// It authenticates every request (node daemons by their TLS certificate name, users by their
// credential), calls the Controller on the io_context thread, answers, and carries out the
// actions the Controller returns: launches and signals to node daemons. Scheduling passes are
// coalesced: any number of events between two passes cause one pass, and a pass follows the
// previous one only after twice its duration, so that passes over a long queue never take
// more than about a third of the strand from request handling; the scheduler itself runs on
// a thread of its own over a snapshot, and its plan is applied back on the strand, each start
// checked to still hold. The auth socket is served on
// a thread of its own: a credential is never queued behind a scheduling pass.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <functional>
#include <list>
#include <map>
#include <thread>
#include <vector>
#include <memory>
#include <string>

#include "common/auth_socket.h"
#include "common/credential.h"
#include "common/key_ring.h"
#include "common/rpc.h"
#include "ctld/controller.h"
#include "ctld/name_cache.h"
#include "ctld/store/store.h"


namespace drover::ctld {

class CtldServer {
 public:
  // `controller` and `store` must outlive this object.
  CtldServer(asio::io_context& io, Controller& controller, Store& store, KeyRing keys,
             std::shared_ptr<asio::ssl::context> server_tls,
             std::shared_ptr<asio::ssl::context> client_tls, const Clock& clock);
  ~CtldServer();

  // Listens on the configured port (`port_override` if non-zero), serves the auth socket if
  // no other daemon on this host does, starts the housekeeping timer.
  Status Start(uint16_t port_override = 0);
  uint16_t port() const;
  void Stop();
  // Key rotation: sign with keys.signing from now on, accept every key in keys.accepted.
  void ReloadKeys(KeyRing keys);
  // What `scontrol reconfigure` runs: the daemon's SIGHUP path (ReloadOnSignal::Reload).
  void SetReconfigure(std::function<Status()> reload) { reconfigure_ = std::move(reload); }

 private:
  void Handle(const PeerInfo& peer, v1::Envelope request, RpcResponder respond);
  Result<Identity> Authenticate(const v1::Envelope& request);
  // `full`: over every pending job, not just the top of the queue (Controller::PreparePass).
  void RequestSchedule(bool full = false);
  void RunSchedule();
  void FinishSchedule(Controller::PreparedPass& pass, sched::Plan plan, MonotonicTime start);
  void StopAuthThread();
  void AddKindUsage(v1::QueryNodesResponse* response) const;
  // Hands everything the controller changed to the store; `then` runs once that is durable
  // (or failed). Replies that acknowledge a change are sent from `then`.
  void CommitThen(std::function<void(Status)> then);
  // Sends the launches of one pass, those for one node in one message where it can.
  void Launch(std::vector<LaunchAction> launches);
  void SendLaunch(const std::string& node, v1::LaunchJobRequest launch);
  void SendLaunches(const std::string& node, std::vector<v1::LaunchJobRequest> launches);
  // Puts back the script and environment that the store keeps apart from the job (TakeBatch).
  Status AddPayload(v1::LaunchJobRequest& launch);
  void Signal(const SignalAction& action);
  void SendLimit(const LimitAction& action);
  std::shared_ptr<RpcClient> ClientFor(const std::string& node);
  void ArmTimer();
  void PruneAccounting();

  // Steps: a CreateStep for a pending job waits here until the job starts or its wait ends.
  struct StepWaiter {
    uint64_t job_id = 0;
    v1::Envelope request;
    RpcResponder respond;
    Identity who;
    MonotonicTime deadline{};
  };
  void TryCreateStep(StepWaiter waiter, bool may_wait);
  void ServeStepWaiters();
  void StartStep(StepLaunch launch, const v1::Envelope& request, RpcResponder respond);

  asio::io_context& io_;
  std::function<Status()> reconfigure_;
  Controller& controller_;
  Store& store_;
  const Clock& clock_;
  KeyRing keys_;
  CredentialVerifier verifier_;
  std::shared_ptr<asio::ssl::context> client_tls_;
  RpcServer rpc_;
  asio::io_context auth_io_;  // declared before auth_: it outlives the server's handlers
  std::unique_ptr<AuthSocketServer> auth_;
  std::thread auth_thread_;
  std::unique_ptr<asio::steady_timer> timer_;
  std::unique_ptr<asio::steady_timer> schedule_timer_;
  MonotonicTime last_pass_end_{};
  std::chrono::steady_clock::duration last_pass_duration_{};
  std::map<std::string, std::shared_ptr<RpcClient>> node_clients_;
  // The payloads (script, environment) of the arrays launched last, most recent first: each
  // element's launch would otherwise read and parse the array's from the store again.
  static constexpr size_t kCachedPayloads = 4;
  std::list<std::pair<uint64_t, v1::JobSpec>> payloads_;
  std::vector<StepWaiter> step_waiters_;
  bool stopped_ = false;
  bool schedule_pending_ = false;  // a pass is queued
  bool pass_running_ = false;      // a pass is being computed off the strand
  bool schedule_again_ = false;    // asked for while a pass was running
  bool full_pass_wanted_ = false;  // the next pass goes over every pending job
  MonotonicTime last_full_end_{};
  std::chrono::steady_clock::duration last_full_duration_{};
  asio::thread_pool sched_pool_{1};  // where the scheduler itself runs, on a snapshot
  MonotonicTime next_prune_{};
  NameCache user_names_;
  NameCache group_names_;
};

}  // namespace drover::ctld
