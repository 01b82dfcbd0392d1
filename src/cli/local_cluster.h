// LocalCluster: a whole drover cluster on this machine, for trying drover and for tests.
//
// Under one directory it keeps generated keys and certificates (keys/), a drover.yaml, the
// controller's state, each node's spool, logs (log/) and pid files (run/). The controller is
// "node3" and the workers node1, node2, node4 (the Turing Pi's layout), all on 127.0.0.1 with
// free ports picked at `up` time, so several local clusters can run side by side.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace drover::cli {

struct LocalDaemon {
  std::string name;  // "ctld" or a node name
  int pid = 0;       // 0 if not running
};

class LocalCluster {
 public:
  explicit LocalCluster(std::string dir);

  const std::string& dir() const { return dir_; }
  std::string ConfigPath() const { return dir_ + "/drover.yaml"; }
  std::string LikePath() const { return dir_ + "/like"; }  // the --like of `up`

  // Creates keys and config (if missing) for `nodes` workers, starts every daemon, waits until
  // all nodes are idle. Refuses if daemons of this directory are already running.
  // `like`: "host" (each node has this machine's CPUs) or a topology fixture's name
  // (common/topology_fixtures.h; "rk1" is a Turing RK1: cores 0-3 little Cortex-A55, 4-7 big
  // Cortex-A76): every node daemon then reports that machine's topology and the entries say
  // the same, so big/little scheduling can be tried on any machine; jobs run on the host CPUs
  // the fixture's core ids map to (MapToHostCpus).
  drover::Status Up(int nodes, const std::string& like = "host");
  // Stops every daemon and the jobs they run; waits for them to exit.
  drover::Status Down();
  std::vector<LocalDaemon> ListDaemons() const;
  // SIGKILLs one daemon ("ctld" or a node name), as a crash would.
  drover::Status Kill(const std::string& name);
  // Starts one daemon again.
  drover::Status Start(const std::string& name);

  // Node names for `n` workers: node1, node2, node4, node5, ... (node3 is the controller).
  static std::vector<std::string> WorkerNames(int n);

 private:
  drover::Status WriteConfig(const std::vector<std::string>& workers, const std::string& like);
  drover::Status StartDaemon(const std::string& name);
  drover::Status WaitUntilIdle(int seconds);
  std::vector<std::string> DaemonNames() const;  // "ctld" then the workers, from the config
  int PidOf(const std::string& name) const;

  std::string dir_;
  std::string bin_dir_;
};

}  // namespace drover::cli
