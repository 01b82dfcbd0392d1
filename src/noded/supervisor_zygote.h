// A small fork server ("zygote") for batch supervisors: the `drover-zygote` executable
// (zygote_main.cc), which noded starts once with posix_spawn. Every batch supervisor is a fork of
// it instead of a fork of the grown noded (~16 MB resident, ~100 mappings, protobuf, OpenSSL,
// hwloc): drover-zygote links only libc dynamically (libstdc++ statically) and the supervisor
// reads a flat plan (batch_plan.h), so each fork copies a few mappings and touches few pages
// (bench/README.md, "The array case" and "A small supervisor"). Start() forks the calling
// process into a zygote instead (the unit tests, and what noded did before).
//
// The zygote reaps its children and reports each end (pid and wait status) to noded over a
// socket, so noded learns of a supervisor's end as promptly as from SIGCHLD. It ends when noded's
// end of the sockets closes (noded exited or dropped it) or noded dies (PR_SET_PDEATHSIG); the
// supervisors it started keep running (each in a session of its own) and a restarted noded
// reattaches to them through the spool, as before.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::noded {

// The descriptors drover-zygote finds its sockets on.
constexpr int kZygoteRequestsFd = 3;
constexpr int kZygoteExitsFd = 4;

class SupervisorZygote {
 public:
  // What a forked child runs, with the request's fields; its result is the exit status.
  using ChildMain = int (*)(const std::vector<std::string>& fields);
  struct Exit {
    pid_t pid = -1;
    int status = 0;  // as from waitpid
  };

  // Starts the drover-zygote executable at `path`; its children run SuperviseBatchJobFromArgs.
  static Result<std::unique_ptr<SupervisorZygote>> Exec(const std::string& path);
  // Forks the zygote from the calling process. Call it before the process starts threads.
  static Result<std::unique_ptr<SupervisorZygote>> Start(ChildMain child_main);
  // Closes noded's side, which ends the zygote; the caller reaps it (it is the caller's child).
  ~SupervisorZygote();
  SupervisorZygote(const SupervisorZygote&) = delete;
  SupervisorZygote& operator=(const SupervisorZygote&) = delete;

  // Starts a child of the zygote in a session of its own: stdin /dev/null, stdout and stderr
  // appended to `log_path` (created 0600), no other descriptor, every signal at its default
  // except SIGPIPE and SIGHUP (ignored, as an exec'd drover-stepd starts), no signal blocked.
  // It runs child_main(fields) and _exits with its result. Blocks until the zygote answered.
  Result<pid_t> Spawn(const std::string& log_path, const std::vector<std::string>& fields);

  // Readable when the zygote reported ends (or went away); never blocks.
  int exits_fd() const { return exits_fd_; }
  // The ends reported so far; `gone` becomes true once the zygote has closed its side.
  std::vector<Exit> ReadExits(bool& gone);
  pid_t pid() const { return pid_; }

 private:
  SupervisorZygote(pid_t pid, int requests_fd, int exits_fd)
      : pid_(pid), requests_fd_(requests_fd), exits_fd_(exits_fd) {}
  pid_t pid_;
  int requests_fd_;
  int exits_fd_;
};

// The zygote's loop on its two sockets; `parent` is noded's pid (it ends when noded does).
[[noreturn]] void ServeZygote(pid_t parent, int requests, int exits, SupervisorZygote::ChildMain child_main);

// The request's fields in one message: each a 4-byte length (host order) and its bytes.
std::string EncodeZygoteFields(const std::vector<std::string>& fields);
Result<std::vector<std::string>> DecodeZygoteFields(const std::string& bytes);
// True when DecodeZygoteFields would succeed with at least one field; allocates nothing.
bool WellFormedZygoteFields(const char* data, size_t size);

}  // namespace drover::noded
