// drover-ctld: load the configuration, wire the controller to the network, run.
#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <iostream>
#include <spdlog/spdlog.h>

#include "common/config.h"
#include "common/credential.h"
#include "common/key_ring.h"
#include "common/logging.h"
#include "common/sd_notify.h"
#include "common/reload_signal.h"
#include "common/tls.h"
#include "ctld/controller.h"
#include "ctld/server.h"
#include "ctld/store/store.h"

int main(int argc, char** argv) {
  CLI::App app{"drover-ctld: the drover controller daemon"};
  std::optional<std::string> config_flag;
  std::string log_level = "info";
  std::string log_file;
  uint16_t port = 0;
  app.add_option("-c,--config", config_flag, "configuration file (default: $DROVER_CONF, then /etc/drover/drover.yaml)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-file", log_file, "log to this file instead of stderr");
  app.add_option("--port", port, "listen on this port instead of the configured one");
  CLI11_PARSE(app, argc, argv);

  const std::string config_path = drover::ResolveConfigPath(config_flag);
  auto config = drover::LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << "drover-ctld: " << config.status().message() << "\n";
    return 1;
  }
  const std::string host = config->controller_host;
  if (log_file.empty() && !config->log_dir.empty()) log_file = config->log_dir + "/" + "drover-ctld.log";
  drover::InitLogging("drover-ctld", log_level, log_file);
  auto keys = drover::LoadKeyRing(*config);
  if (!keys.ok()) {
    std::cerr << "drover-ctld: " << keys.status().message() << "\n";
    return 1;
  }
  drover::TlsFiles files{config->tls_ca, drover::Config::ForHost(config->tls_cert, host),
                         drover::Config::ForHost(config->tls_key, host)};
  auto server_tls = drover::MakeServerTlsContext(files);
  auto client_tls = drover::MakeClientTlsContext(files);
  if (!server_tls.ok() || !client_tls.ok()) {
    std::cerr << "drover-ctld: " << (server_tls.ok() ? client_tls.status() : server_tls.status()).message()
              << "\n";
    return 1;
  }

  asio::io_context io;
  drover::RealClock clock;
  drover::ctld::Controller controller(*config, clock);
  auto store = drover::ctld::OpenSqliteStore(
      config->state_dir, [&io](std::function<void()> f) { asio::post(io, std::move(f)); });
  if (!store.ok()) {
    std::cerr << "drover-ctld: " << store.status().message() << "\n";
    return 1;
  }
  const int64_t keep_since = drover::ToUnixSeconds(clock.SystemNow()) - config->min_job_age_s;
  auto saved = (*store)->Load(keep_since);
  if (!saved.ok()) {
    std::cerr << "drover-ctld: " << saved.status().message() << "\n";
    return 1;
  }
  // Nodes re-register within a heartbeat or two; a running job none of them reports by the
  // node timeout is gone.
  controller.Restore(*saved, std::chrono::seconds(config->node_timeout_s));
  spdlog::info("state loaded from {}: {} unfinished jobs, next job id {}", config->state_dir,
               saved->unfinished.size(), saved->next_job_id);
  drover::ctld::CtldServer server(io, controller, **store, *keys, *server_tls, *client_tls, clock);
  if (auto s = server.Start(port); !s.ok()) {
    std::cerr << "drover-ctld: " << s.message() << "\n";
    return 1;
  }
  drover::SdNotifier systemd(io);  // READY=1 and the watchdog under Type=notify; no-op otherwise
  systemd.Ready("serving on port " + std::to_string(server.port()));
  drover::ReloadOnSignal reload(io, config_path, [&](const drover::Config& c, drover::KeyRing k) {
    // The configuration first (it may refuse), then the keys, whose signer reads credential_ttl.
    DROVER_RETURN_IF_ERROR(controller.Reconfigure(c));
    server.ReloadKeys(std::move(k));
    for (const auto& change : controller.last_reconfigure_changes()) spdlog::info("reconfigured: {}", change);
    return drover::Status::Ok();
      },
      {[&] { systemd.Reloading(); },
       [&](const drover::Status& s) {
         systemd.Reloaded(s.ok() ? "reloaded"
                                 : "reload refused, previous configuration kept: " + s.message());
       }});
  server.SetReconfigure([&reload] { return reload.Reload(); });
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code&, int sig) {
    spdlog::info("signal {}: shutting down", sig);
    systemd.Stopping();
    server.Stop();
    io.stop();
  });
  io.run();
  return 0;
}
