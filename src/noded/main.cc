// drover-noded: the node daemon. `--print-topology` prints this node's drover.yaml entry.
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <filesystem>
#include <iostream>
#include <spdlog/spdlog.h>

#include "common/config.h"
#include "common/key_ring.h"
#include "common/logging.h"
#include "common/sd_notify.h"
#include "common/reload_signal.h"
#include "common/tls.h"
#include "common/topology_fixtures.h"
#include "noded/batch_supervisor.h"
#include "noded/node_daemon.h"
#include "noded/supervisor_zygote.h"
#include "noded/topology_reader.h"

namespace {

std::string ShortHostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  gethostname(buf, sizeof buf - 1);
  std::string name = buf;
  return name.substr(0, name.find('.'));
}

// drover-stepd and drover-zygote are installed next to drover-noded.
std::string BesideSelf(const std::string& name) {
  char buf[PATH_MAX] = {};
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string self = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  const auto slash = self.rfind('/');
  return (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/" + name;
}

// A fixture's tree for --print-topology: a private temporary directory.
std::string FixtureDir(const std::string& fixture) {
  return (std::filesystem::temp_directory_path() / ("drover-topology-" + fixture + "-" + std::to_string(getpid()))).string();
}

// Should drover-zygote be missing, every batch supervisor is a fork of noded or of a zygote forked
// from it. Symbols bound lazily would be looked up again in each of them, and each first call
// would write (copy-on-write) a GOT page: ~10 % of a trivial job's CPU (bench/README.md). So noded
// re-executes itself once with LD_BIND_NOW, and such a zygote inherits every symbol bound. The variables are then removed, so
// that nothing noded starts (step daemons, scripts, jobs) inherits them.
void BindAllSymbolsOnce(char** argv) {
  constexpr const char* kMarker = "DROVER_NODED_BOUND";
  if (const char* marker = getenv(kMarker)) {
    if (std::string(marker) == "unset") unsetenv("LD_BIND_NOW");
    unsetenv(kMarker);
    return;
  }
  char self[PATH_MAX] = {};
  if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0) return;
  setenv(kMarker, getenv("LD_BIND_NOW") ? "keep" : "unset", 1);
  setenv("LD_BIND_NOW", "1", 1);
  execv(self, argv);  // the real path, not /proc/self/exe, which would make "exe" its name in ps
  // Not fatal: only slower. Undo and go on.
  if (std::string(getenv(kMarker)) == "unset") unsetenv("LD_BIND_NOW");
  unsetenv(kMarker);
}

}  // namespace

int main(int argc, char** argv) {
  BindAllSymbolsOnce(argv);
  CLI::App app{"drover-noded: the drover node daemon"};
  std::optional<std::string> config_flag;
  std::string name = ShortHostname();
  std::string log_level = "info";
  std::string log_file;
  uint16_t port = 0;
  app.add_option("-c,--config", config_flag, "configuration file (default: $DROVER_CONF, then /etc/drover/drover.yaml)");
  app.add_option("-n,--name", name, "this node's name in the configuration (default: the short host name)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-file", log_file, "log to this file instead of stderr");
  app.add_option("--port", port, "listen on this port instead of the configured one");
  bool print_topology = false;
  std::string topology_root = "/";
  std::string topology_fixture;
  app.add_flag("--print-topology", print_topology,
               "print this node's entry for drover.yaml (cores by kind, memory) and exit");
  app.add_option("--topology-root", topology_root,
                 "read /sys and /proc under this directory (a captured or fake tree) instead of /");
  app.add_option("--topology-fixture", topology_fixture,
                 "pretend to be a known machine: " + drover::TopologyFixtureNames())
      ->excludes("--topology-root");
  CLI11_PARSE(app, argc, argv);

  if (print_topology) {
    const std::string dir = topology_fixture.empty() ? "" : FixtureDir(topology_fixture);
    auto topology = topology_fixture.empty() ? drover::noded::ReadNodeTopology(topology_root)
                                             : drover::noded::ReadFixtureTopology(topology_fixture, dir);
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    if (!topology.ok()) {
      std::cerr << "drover-noded: " << topology.status().message() << "\n";
      return 1;
    }
    std::cout << drover::FormatConfigEntry(*topology, name);
    return 0;
  }

  // Every batch supervisor is a fork of drover-zygote, a small executable, rather than of the
  // grown daemon (supervisor_zygote.h). Without it (not installed), a fork of this process made
  // now, while it is small and has no other thread, serves instead.
  const std::string zygote_path = BesideSelf("drover-zygote");
  auto zygote = drover::noded::SupervisorZygote::Exec(zygote_path);
  std::string zygote_note;
  if (!zygote.ok()) {
    zygote_note = zygote.status().message();
    zygote = drover::noded::SupervisorZygote::Start(&drover::noded::SuperviseBatchJobFromArgs);
  }

  const std::string config_path = drover::ResolveConfigPath(config_flag);
  auto config = drover::LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << "drover-noded: " << config.status().message() << "\n";
    return 1;
  }
  if (log_file.empty() && !config->log_dir.empty()) log_file = config->log_dir + "/" + "drover-noded-" + name + ".log";
  drover::InitLogging("drover-noded", log_level, log_file);
  auto keys = drover::LoadKeyRing(*config);
  if (!keys.ok()) {
    std::cerr << "drover-noded: " << keys.status().message() << "\n";
    return 1;
  }
  drover::TlsFiles files{config->tls_ca, drover::Config::ForHost(config->tls_cert, name),
                         drover::Config::ForHost(config->tls_key, name)};
  auto server_tls = drover::MakeServerTlsContext(files);
  auto client_tls = drover::MakeClientTlsContext(files);
  if (!server_tls.ok() || !client_tls.ok()) {
    std::cerr << "drover-noded: "
              << (server_tls.ok() ? client_tls.status() : server_tls.status()).message() << "\n";
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  asio::io_context io;
  drover::noded::NodeDaemonOptions options;
  options.node_name = name;
  options.stepd_path = BesideSelf("drover-stepd");
  options.port_override = port;
  // A pretend node's tree lives in its spool, regenerated at every start.
  const std::string fixture_dir =
      topology_fixture.empty() ? "" : drover::Config::ForHost(config->spool_dir, name) + "/topology-" + topology_fixture;
  auto topology = topology_fixture.empty() ? drover::noded::ReadNodeTopology(topology_root)
                                           : drover::noded::ReadFixtureTopology(topology_fixture, fixture_dir);
  if (topology.ok()) {
    spdlog::info("topology: {} cores ({} CPUs), {} MB, {} packages, {} clusters ({})", drover::KindSummary(*topology),
                 topology->cpus, topology->memory_mb, topology->packages, topology->clusters, topology->source);
    options.topology = *topology;
  } else if (!topology_fixture.empty()) {
    std::cerr << "drover-noded: " << topology.status().message() << "\n";
    return 1;
  } else {
    spdlog::warn("no topology report: {}; the controller keeps this node's configured entry",
                 topology.status().message());
  }
  options.stats_root = topology_fixture.empty() ? topology_root : fixture_dir;
  options.map_cores_to_host = !topology_fixture.empty();
  if (!zygote_note.empty()) {
    spdlog::warn("{}: batch supervisors are forked from a copy of drover-noded (slower)", zygote_note);
  }
  if (zygote.ok()) {
    options.zygote = std::move(*zygote);
  } else {
    spdlog::warn("no supervisor zygote ({}): batch supervisors are forked from drover-noded", zygote.status().message());
  }
  drover::noded::NodeDaemon daemon(io, *config, std::move(options), *keys, *server_tls, *client_tls);
  if (auto s = daemon.Start(); !s.ok()) {
    std::cerr << "drover-noded: " << s.message() << "\n";
    return 1;
  }
  drover::SdNotifier systemd(io);  // READY=1 and the watchdog under Type=notify; no-op otherwise
  systemd.Ready("serving as node " + name);
  drover::ReloadOnSignal reload(io, config_path, [&](const drover::Config&, drover::KeyRing k) {
    daemon.ReloadKeys(std::move(k));
    return drover::Status::Ok();
      },
      {[&] { systemd.Reloading(); },
       [&](const drover::Status& s) {
         systemd.Reloaded(s.ok() ? "reloaded"
                                 : "reload refused, previous configuration kept: " + s.message());
       }});
  daemon.SetReconfigure([&reload] { return reload.Reload(); });
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code&, int sig) {
    spdlog::info("signal {}: shutting down (running jobs continue under drover-stepd)", sig);
    systemd.Stopping();
    daemon.Stop();
    io.stop();
  });
  io.run();
  return 0;
}
