// Controller ingest benchmark (issue #4): N clients submitting over kept-open TLS connections,
// every submission durable (SQLite, group commit) before its id is returned, each signed with a
// credential from the auth socket as the CLI does. Prints jobs/s, the controller's resident
// memory per pending job, and how long a restart takes to load them. Figures, not assertions.
//
//   drover_ingest_bench [--clients 8] [--jobs 2500] [--dir /tmp/...]
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include "common/auth_socket.h"
#include "common/config.h"
#include "common/key_ring.h"
#include "common/envelope.h"
#include "common/keygen.h"
#include "common/rpc.h"
#include "common/tls.h"
#include "ctld/controller.h"
#include "ctld/server.h"
#include "ctld/store/store.h"

namespace {

using namespace drover;
using Steady = std::chrono::steady_clock;

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

Config MakeConfig(const std::string& dir) {
  const std::string text = "cluster: bench\ncontroller: {host: node3, address: 127.0.0.1, port: 1}\n"
                           "state_dir: " + dir + "/state\nspool_dir: " + dir + "/spool/%n\n"
                           "auth_socket: " + dir + "/auth.sock\nkey_file: " + dir + "/keys/cluster.key\n"
                           "tls: {ca: " + dir + "/keys/tls/ca.crt, cert: " + dir + "/keys/tls/%n.crt, key: " +
                           dir + "/keys/tls/%n.key}\n"
                           "scheduling: {allow_root_jobs: true}\n"
                           "nodes:\n  - {names: \"node[1-2,4]\", cpus: 8, memory: 15G}\n"
                           "partitions:\n  - {name: batch, nodes: \"node[1-2,4]\", default: true}\n";
  auto c = ParseConfig(text, dir + "/drover.yaml");
  if (!c.ok()) {
    std::cerr << c.status().message() << "\n";
    std::exit(1);
  }
  return *c;
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 8;
  int jobs = 2500;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--clients") clients = std::atoi(argv[i + 1]);
    else if (a == "--jobs") jobs = std::atoi(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
  }
  spdlog::set_level(spdlog::level::warn);  // a log line per job would be the benchmark
  if (dir.empty()) {
    char tmpl[] = "/tmp/drover-ingest.XXXXXX";
    dir = mkdtemp(tmpl);
  }
  if (!GenerateClusterKeys({dir + "/keys", {"node3"}, 30, false}).ok()) return 1;
  Config config = MakeConfig(dir);
  auto key = LoadKeyRing(config);
  TlsFiles files{config.tls_ca, dir + "/keys/tls/node3.crt", dir + "/keys/tls/node3.key"};
  auto server_tls = MakeServerTlsContext(files);
  auto client_tls = MakeClientTlsContext(files);
  auto user_tls = MakeClientTlsContext({config.tls_ca, "", ""});
  if (!key.ok() || !server_tls.ok() || !client_tls.ok() || !user_tls.ok()) return 1;

  const long rss_start = RssKb();
  asio::io_context io;
  RealClock clock;
  auto store = ctld::OpenSqliteStore(config.state_dir, [&io](std::function<void()> f) { asio::post(io, std::move(f)); });
  if (!store.ok()) return 1;
  ctld::Controller controller(config, clock);
  ctld::CtldServer server(io, controller, **store, *key, *server_tls, *client_tls, clock);
  if (!server.Start(0).ok()) return 1;
  const uint16_t port = server.port();
  std::thread io_thread([&] { io.run(); });

  v1::Body body;
  auto* spec = body.mutable_submit_job()->mutable_spec();
  spec->set_name("bench");
  spec->set_script("#!/bin/sh\ntrue\n");
  spec->set_work_dir("/tmp");
  spec->set_min_nodes(1);
  std::atomic<int> failures{0};
  const auto t0 = Steady::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      BlockingRpcClient rpc(*user_tls, "127.0.0.1", port, "node3");
      for (int j = 0; j < jobs; ++j) {
        v1::Envelope request = MakeEnvelope(body);
        auto cred = FetchCredential(config.auth_socket, Sha256(request.body()));
        if (!cred.ok()) {
          ++failures;
          continue;
        }
        *request.mutable_credential() = *cred;
        if (!BodyOrError(rpc.Call(request)).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Steady::now() - t0).count();
  const int total = clients * jobs;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const long rss_end = RssKb();
  printf("ingest: %d clients x %d jobs = %d durable submissions in %.2f s: %.0f jobs/s (%d failed)\n",
         clients, jobs, total, secs, total / secs, failures.load());
  printf("memory: controller process RSS %ld KiB -> %ld KiB: %.0f bytes per pending job\n", rss_start, rss_end,
         (rss_end - rss_start) * 1024.0 / total);

  server.Stop();
  io.stop();
  io_thread.join();

  const auto r0 = Steady::now();
  auto reopened = ctld::OpenSqliteStore(config.state_dir, [](std::function<void()> f) { f(); });
  if (!reopened.ok()) return 1;
  auto saved = (*reopened)->Load(0);
  if (!saved.ok()) return 1;
  ctld::Controller restarted(config, clock);
  restarted.Restore(*saved, std::chrono::seconds(60));
  const double restart = std::chrono::duration<double>(Steady::now() - r0).count();
  printf("restart: loaded %zu unfinished jobs in %.2f s\n", saved->unfinished.size(), restart);
  std::filesystem::remove_all(dir);
  return failures.load() == 0 ? 0 : 1;
}
