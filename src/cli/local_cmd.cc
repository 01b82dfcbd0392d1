// drover local: up, down, status, kill, start.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/empty_values.h"
#include "cli/cli_util.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/local_cluster.h"
#include "cli/usage.h"
#include "common/hostlist.h"
#include "common/topology_fixtures.h"

namespace drover::cli {
namespace {

// $DROVER_LOCAL_DIR; else the local cluster $DROVER_CONF points into (so that after
// `eval "$(drover local up --dir D)"` the other subcommands need no --dir); else a per-user
// directory under /tmp.
std::string DefaultDir() {
  if (const char* d = getenv("DROVER_LOCAL_DIR"); d != nullptr && *d) return d;
  if (const char* conf = getenv("DROVER_CONF"); conf != nullptr && *conf) {
    const std::string path = conf;
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    if (access((dir + "/run").c_str(), F_OK) == 0 && access((dir + "/keys").c_str(), F_OK) == 0) {
      return dir;
    }
  }
  return "/tmp/drover-local-" + std::to_string(getuid());
}

}  // namespace

int RunLocal(const Args& args) {
  CLI::App app{"drover local: a whole drover cluster on this machine (a controller and node "
               "daemons on 127.0.0.1)", "drover local"};
  app.require_subcommand(1);
  std::string dir = DefaultDir();
  int nodes = 3;
  std::string like = "host";
  std::string name;
  auto* up = app.add_subcommand("up", "generate keys and config, start the daemons, wait until all nodes are idle");
  up->add_option("--dir", dir, "where the cluster lives (default $DROVER_LOCAL_DIR or /tmp/drover-local-$UID)");
  up->add_option("--nodes", nodes, "number of node daemons (default 3: node1, node2, node4)");
  up->add_option("--like", like,
                 "what each node is: host (this machine's CPUs) or a known machine whose topology every node "
                 "reports (" + TopologyFixtureNames() + "; rk1 = a Turing RK1: 4 big + 4 little cores)");
  auto* down = app.add_subcommand("down", "stop every daemon and job of the local cluster");
  down->add_option("--dir", dir, "the cluster's directory");
  auto* status = app.add_subcommand("status", "show which daemons run");
  status->add_option("--dir", dir, "the cluster's directory");
  bool status_json = false;
  status->add_flag("--json", status_json, "print JSON: {daemons: [{name, running, pid}], config}");
  auto* kill = app.add_subcommand("kill", "SIGKILL one daemon, as a crash would (for tests)");
  kill->add_option("--dir", dir, "the cluster's directory");
  kill->add_option("daemon", name, "ctld or a node name")->required();
  auto* start = app.add_subcommand("start", "start one daemon again");
  start->add_option("--dir", dir, "the cluster's directory");
  start->add_option("daemon", name, "ctld or a node name")->required();
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    return UsageError(app, "drover local", e);
  }
  LocalCluster cluster(dir);
  const std::string prog = "drover local";
  if (up->parsed()) {
    if (geteuid() != 0) {
      std::cerr << "note: running as uid " << geteuid() << ", not root: jobs run as you only, "
                << "and other users cannot submit to this cluster.\n";
    }
    auto s = cluster.Up(nodes, like);
    if (!s.ok()) return ReportError(prog, s);
    std::cerr << "local cluster up in " << cluster.dir() << ": controller node3, nodes "
              << CompressHostlist(LocalCluster::WorkerNames(nodes)) << " idle\n"
              << "logs in " << cluster.dir() << "/log; stop it with: drover local down --dir "
              << cluster.dir() << "\n";
    std::cout << "export DROVER_CONF=" << cluster.ConfigPath() << std::endl;
    return 0;
  }
  if (down->parsed()) {
    auto s = cluster.Down();
    if (!s.ok()) return ReportError(prog, s);
    std::cerr << "local cluster in " << cluster.dir() << " stopped\n";
    return 0;
  }
  if (status->parsed()) {
    bool any = false;
    const auto daemons = cluster.ListDaemons();
    if (status_json) std::cout << "{\n  \"daemons\": [";
    for (size_t i = 0; i < daemons.size(); ++i) {
      const auto& d = daemons[i];
      if (status_json) {
        std::cout << (i ? "," : "") << "\n    {\"name\": " << JsonString(d.name) << ", \"running\": "
                  << (d.pid ? "true" : "false") << ", \"pid\": " << d.pid << "}";
      } else {
        std::cout << d.name << "\t" << (d.pid ? "running (pid " + std::to_string(d.pid) + ")" : "stopped") << "\n";
      }
      any = any || d.pid != 0;
    }
    if (status_json) {
      std::cout << "\n  ],\n  \"config\": " << JsonString(cluster.ConfigPath()) << "\n}\n";
    } else {
      std::cout << "config\t" << cluster.ConfigPath() << "\n";
    }
    return any ? 0 : 3;
  }
  if (kill->parsed()) {
    auto s = cluster.Kill(name);
    return s.ok() ? 0 : ReportError(prog, s);
  }
  if (start->parsed()) {
    auto s = cluster.Start(name);
    return s.ok() ? 0 : ReportError(prog, s);
  }
  return 2;
}

}  // namespace drover::cli
