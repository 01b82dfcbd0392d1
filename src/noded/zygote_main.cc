// drover-zygote: the fork server of batch supervisors (supervisor_zygote.h). drover-noded starts
// it with its two sockets on descriptors 3 and 4 and its own pid as the one argument; each child
// runs SuperviseBatchJobFromArgs, reading the job's plan from the spool. It links no protobuf,
// OpenSSL, hwloc, yaml-cpp, spdlog or libcgroup, and libstdc++ statically, so that a fork of it
// is cheap (bench/README.md, "A small supervisor").
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>

#include "noded/batch_supervisor.h"
#include "noded/supervisor_zygote.h"

int main(int argc, char** argv) {
  char* end = nullptr;
  const long parent = argc == 2 ? std::strtol(argv[1], &end, 10) : 0;
  if (argc != 2 || end == argv[1] || *end != '\0' || parent <= 1) {
    const char usage[] = "usage: drover-zygote NODED_PID (started by drover-noded, not by hand)\n";
    (void)!write(STDERR_FILENO, usage, sizeof usage - 1);
    return 2;
  }
  drover::noded::ServeZygote(static_cast<pid_t>(parent), drover::noded::kZygoteRequestsFd,
                             drover::noded::kZygoteExitsFd, &drover::noded::SuperviseBatchJobFromArgs);
}
