// Controller ingest benchmark (issue #4): N clients submitting over kept-open TLS connections,
// every submission durable (SQLite, group commit) before its id is returned, each signed with a
// credential from the auth socket as the CLI does. Prints jobs/s, the controller's resident
// memory per pending job, and how long a restart takes to load them. Figures, not assertions.
//
// With --window W > 1 each client pipelines W submissions on its connection (the protocol
// answers in order, each answer carrying its request id) and fetches their W credentials over
// one kept-open auth-socket connection; W = 1 is what one CLI process does per job.
//
// With --client-process the clients run in a forked process of their own, so that the
// controller's CPU per job (its io thread, auth socket, pass and SQLite writer) is printed apart
// from the clients'. Both still share the machine's cores.
//
// With --environment every job carries the bench's own environment, as a job from sbatch
// carries the submitting shell's (the memory per pending job depends on it).
//
// With --cli BIN_DIR it also times `squeue` processes over the queue and 50 `sbatch --hold`
// processes in a row (process start included) against the same controller.
//
// With --linger S the controller keeps serving for S seconds at the end (its drover.yaml is
// printed), to run and profile clients against the full queue by hand.
//
//   drover_ingest_bench [--clients 8] [--jobs 2500] [--window 1] [--client-process]
//                       [--dir /tmp/...] [--cli build/bin] [--linger S]
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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
#include "common/frame.h"
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

// CPU time of the whole process (clients, auth socket, controller, writer), in seconds: on a
// shared machine the steadier figure than wall time.
double CpuSeconds(int who = RUSAGE_SELF) {
  rusage u{};
  getrusage(who, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string ConfigText(const std::string& dir, uint16_t port) {
  return "cluster: bench\ncontroller: {host: node3, address: 127.0.0.1, port: " + std::to_string(port) + "}\n"
                           "state_dir: " + dir + "/state\nspool_dir: " + dir + "/spool/%n\n"
                           "auth_socket: " + dir + "/auth.sock\nkey_file: " + dir + "/keys/cluster.key\n"
                           "tls: {ca: " + dir + "/keys/tls/ca.crt, cert: " + dir + "/keys/tls/%n.crt, key: " +
                           dir + "/keys/tls/%n.key}\n"
                           "scheduling: {allow_root_jobs: true}\n"
                           "nodes:\n  - {names: \"node[1-2,4]\", cpus: 8, memory: 15G}\n"
                           "partitions:\n  - {name: batch, nodes: \"node[1-2,4]\", default: true}\n";
}

Config MakeConfig(const std::string& dir) {
  auto c = ParseConfig(ConfigText(dir, 1), dir + "/drover.yaml");
  if (!c.ok()) {
    std::cerr << c.status().message() << "\n";
    std::exit(1);
  }
  return *c;
}

// One client pipelining `window` submissions at a time over one verified TLS 1.3 connection.
bool PipelinedClient(asio::ssl::context& tls, uint16_t port, const std::string& auth_socket,
                     const v1::Body& body, int jobs, int window, std::atomic<int>& failures,
                     std::atomic<int64_t>& cred_ns, std::atomic<int64_t>& call_ns) {
  using asio::ip::tcp;
  asio::io_context io;
  asio::ssl::stream<tcp::socket> stream(io, tls);
  asio::error_code ec;
  stream.lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return false;
  stream.lowest_layer().set_option(tcp::no_delay(true), ec);
  SSL* ssl = stream.native_handle();
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
  SSL_set1_host(ssl, "node3");
  SSL_set_tlsext_host_name(ssl, "node3");
  stream.set_verify_mode(asio::ssl::verify_peer);
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return false;
  AuthClient auth(auth_socket);
  FrameDecoder decoder(16u << 20);
  std::array<char, 16384> buf;
  uint64_t next_id = 1;
  for (int done = 0; done < jobs;) {
    const int n = std::min(window, jobs - done);
    std::vector<v1::Envelope> requests;
    std::vector<std::string> hashes;
    for (int i = 0; i < n; ++i) {
      requests.push_back(MakeEnvelope(body, next_id++));
      hashes.push_back(Sha256(requests.back().body()));
    }
    const auto c0 = Steady::now();
    auto creds = auth.FetchMany(hashes);
    const auto c1 = Steady::now();
    cred_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(c1 - c0).count() * n;
    if (!creds.ok()) return false;
    std::string out;
    for (int i = 0; i < n; ++i) {
      *requests[i].mutable_credential() = (*creds)[i];
      out += EncodeFrame(requests[i].SerializeAsString());
    }
    asio::write(stream, asio::buffer(out), ec);
    if (ec) return false;
    for (int got = 0; got < n;) {
      auto frame = decoder.Next();
      if (!frame.ok()) return false;
      if (!frame->has_value()) {
        const size_t len = stream.read_some(asio::buffer(buf), ec);
        if (ec) return false;
        decoder.Feed(std::string_view(buf.data(), len));
        continue;
      }
      v1::Envelope response;
      if (!response.ParseFromString(**frame) || response.request_id() != requests[got].request_id() ||
          !BodyOrError(Result<v1::Envelope>(response)).ok()) {
        ++failures;
      }
      ++got;
    }
    call_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - c1).count() * n;
    done += n;
  }
  return true;
}

// What the client threads report back (through a pipe when they run in a process of their own).
struct ClientTotals {
  int failures = 0;
  int64_t cred_ns = 0;
  int64_t call_ns = 0;
  double cpu = 0;   // the client process's CPU time; only with --client-process
  double secs = 0;  // first submission to last answer
};

ClientTotals RunClients(const std::shared_ptr<asio::ssl::context>& user_tls, uint16_t port,
                        const std::string& auth_socket, const v1::Body& body, int clients, int jobs,
                        int window) {
  std::atomic<int> failures{0};
  std::atomic<int64_t> cred_ns{0}, call_ns{0};
  const auto t0 = Steady::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      if (window > 1) {
        if (!PipelinedClient(*user_tls, port, auth_socket, body, jobs, window, failures, cred_ns, call_ns)) {
          ++failures;
        }
        return;
      }
      BlockingRpcClient rpc(user_tls, "127.0.0.1", port, "node3");
      for (int j = 0; j < jobs; ++j) {
        v1::Envelope request = MakeEnvelope(body);
        const auto c0 = Steady::now();
        auto cred = FetchCredential(auth_socket, Sha256(request.body()));
        const auto c1 = Steady::now();
        cred_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(c1 - c0).count();
        if (!cred.ok()) {
          ++failures;
          continue;
        }
        *request.mutable_credential() = *cred;
        if (!BodyOrError(rpc.Call(request)).ok()) ++failures;
        call_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - c1).count();
      }
    });
  }
  for (auto& t : threads) t.join();
  ClientTotals out;
  out.secs = std::chrono::duration<double>(Steady::now() - t0).count();
  out.failures = failures.load();
  out.cred_ns = cred_ns.load();
  out.call_ns = call_ns.load();
  return out;
}

bool ReadAll(int fd, void* data, size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = read(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool WriteAll(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 8;
  int jobs = 2500;
  int window = 1;
  std::string dir;
  std::string cli;  // a bin directory with squeue and sbatch: also time them as processes
  bool client_process = false;
  int linger = 0;  // seconds to keep the controller serving afterwards (to profile by hand)
  bool with_environment = false;  // each job carries this process's environment, as sbatch's do
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--client-process") {
      client_process = true;
      continue;
    }
    if (a == "--environment") {
      with_environment = true;
      continue;
    }
    if (i + 1 >= argc) break;
    if (a == "--clients") clients = std::atoi(argv[++i]);
    else if (a == "--jobs") jobs = std::atoi(argv[++i]);
    else if (a == "--dir") dir = argv[++i];
    else if (a == "--cli") cli = argv[++i];
    else if (a == "--window") window = std::max(1, std::atoi(argv[++i]));
    else if (a == "--linger") linger = std::atoi(argv[++i]);
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

  v1::Body body;
  auto* spec = body.mutable_submit_job()->mutable_spec();
  spec->set_name("bench");
  spec->set_script("#!/bin/sh\ntrue\n");
  spec->set_work_dir("/tmp");
  spec->set_min_nodes(1);
  for (char** e = environ; with_environment && *e != nullptr; ++e) {
    const std::string entry = *e;
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    auto* var = spec->add_environment();
    var->set_name(entry.substr(0, eq));
    var->set_value(entry.substr(eq + 1));
  }

  // The client process is forked before the controller starts any thread: it waits for the
  // port, submits, and sends its totals back.
  int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
  pid_t child = -1;
  if (client_process) {
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return 1;
    child = fork();
    if (child < 0) return 1;
    if (child == 0) {
      close(to_child[1]);
      close(from_child[0]);
      uint16_t port = 0;
      if (!ReadAll(to_child[0], &port, sizeof port)) _exit(2);
      const double c0 = CpuSeconds();
      ClientTotals t = RunClients(*user_tls, port, config.auth_socket, body, clients, jobs, window);
      t.cpu = CpuSeconds() - c0;
      _exit(WriteAll(from_child[1], &t, sizeof t) ? 0 : 2);
    }
    close(to_child[0]);
    close(from_child[1]);
  }

  const long rss_start = RssKb();
  asio::io_context io;
  RealClock clock;
  auto store = ctld::OpenSqliteStore(config.state_dir, [&io](std::function<void()> f) { asio::post(io, std::move(f)); });
  if (!store.ok()) return 1;
  ctld::Controller controller(config, clock);
  ctld::CtldServer server(io, controller, **store, *key, *server_tls, *client_tls, clock);
  // A free port (another bench may run on this host): the kernel picks one for a probe socket.
  uint16_t free_port = 0;
  {
    asio::io_context probe_io;
    asio::ip::tcp::acceptor probe(probe_io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    free_port = probe.local_endpoint().port();
  }
  if (Status s = server.Start(free_port); !s.ok()) {
    std::cerr << "cannot start the controller: " << s.message() << "\n";
    return 1;
  }
  const uint16_t port = server.port();
  std::thread io_thread([&] { io.run(); });

  const auto t0 = Steady::now();
  const double cpu0 = CpuSeconds();
  ClientTotals totals;
  if (client_process) {
    int status = 0;
    if (!WriteAll(to_child[1], &port, sizeof port) || !ReadAll(from_child[0], &totals, sizeof totals) ||
        waitpid(child, &status, 0) != child || status != 0) {
      std::cerr << "the client process failed\n";
      return 1;
    }
  } else {
    totals = RunClients(*user_tls, port, config.auth_socket, body, clients, jobs, window);
  }
  const double secs = std::chrono::duration<double>(Steady::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  const int total = clients * jobs;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const long rss_end = RssKb();
  printf("ingest: %d clients x %d jobs (window %d) = %d durable submissions in %.2f s: %.0f jobs/s (%d failed)\n",
         clients, jobs, window, total, secs, total / secs, totals.failures);
  if (client_process) {
    printf("CPU: controller process (io thread, auth socket, pass, store) %.2f s, %.0f us per job; "
           "client process %.2f s, %.0f us per job; both %.0f us per job: on 2 idle cores at most %.0f jobs/s\n",
           cpu, cpu * 1e6 / total, totals.cpu, totals.cpu * 1e6 / total, (cpu + totals.cpu) * 1e6 / total,
           2 * total / (cpu + totals.cpu));
  } else {
    printf("CPU (all threads: clients, auth socket, controller, store): %.2f s, %.0f us per job; "
           "on 2 idle cores at most %.0f jobs/s\n", cpu, cpu * 1e6 / total, 2 * total / cpu);
  }
  {
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) == 3) printf("load average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  }
  printf("per submission, as a client waits: credential %.0f us, submit until committed %.0f us\n",
         totals.cred_ns / 1e3 / total, totals.call_ns / 1e3 / total);
  printf("memory: controller process RSS %ld KiB -> %ld KiB: %.0f bytes per pending job\n", rss_start, rss_end,
         (rss_end - rss_start) * 1024.0 / total);

  // What squeue waits for over this queue, less its process start: a credential, a TLS
  // connection, the query, and parsing the reply. Once after a pass has run over every job.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  for (int round = 0; round < 2; ++round) {
    const auto q0 = Steady::now();
    BlockingRpcClient rpc(*user_tls, "127.0.0.1", port, "node3");
    v1::Body query;
    // What squeue's default format asks for: no priority rows, the brief spec, no steps or usage.
    query.mutable_query_jobs()->set_omit(v1::JOB_INFO_PART_SPEC_DETAIL | v1::JOB_INFO_PART_STEPS |
                                         v1::JOB_INFO_PART_USAGE);
    v1::Envelope request = MakeEnvelope(query);
    auto cred = FetchCredential(config.auth_socket, Sha256(request.body()));
    if (!cred.ok()) return 1;
    *request.mutable_credential() = *cred;
    auto reply = BodyOrError(rpc.Call(request));
    if (!reply.ok()) return 1;
    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - q0).count();
    printf("squeue query: %d pending jobs (and %d priority rows) in %.0f ms, reply %zu bytes\n",
           reply->query_jobs_response().jobs_size(), reply->query_jobs_response().priorities_size(), ms,
           reply->ByteSizeLong());
  }

  if (!cli.empty()) {
    // The CLI end to end, process start included, against this controller.
    std::ofstream(dir + "/drover.yaml") << ConfigText(dir, port);
    const std::string env = "DROVER_CONF=" + dir + "/drover.yaml ";
    for (int round = 0; round < 3; ++round) {
      const auto q0 = Steady::now();
      const int rc = std::system((env + cli + "/squeue > /dev/null").c_str());
      printf("squeue process over %d pending jobs: %.0f ms (exit %d)\n", total,
             std::chrono::duration<double, std::milli>(Steady::now() - q0).count(), rc);
    }
    const int n = 50;
    const auto s0 = Steady::now();
    int failed = 0;
    for (int j = 0; j < n; ++j) {
      failed += std::system((env + cli + "/sbatch --hold --wrap true > /dev/null").c_str()) != 0;
    }
    const double s = std::chrono::duration<double>(Steady::now() - s0).count();
    printf("sequential sbatch processes: %d in %.2f s: %.0f jobs/s (%d failed)\n", n, s, n / s, failed);
  }

  if (linger > 0) {
    std::ofstream(dir + "/drover.yaml") << ConfigText(dir, port);
    printf("serving for %d s: DROVER_CONF=%s/drover.yaml (pid %d)\n", linger, dir.c_str(), static_cast<int>(getpid()));
    fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(linger));
  }
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
  return totals.failures == 0 ? 0 : 1;
}
