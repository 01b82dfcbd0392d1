#include "noded/supervisor_zygote.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iterator>

extern char** environ;

namespace drover::noded {
namespace {

// Requests are a few hundred bytes (a job directory and stepd's options); anything larger is
// refused rather than truncated.
constexpr size_t kMaxRequest = 64 * 1024;

// The signals the zygote ignores; every other one is at its default in the zygote.
constexpr int kZygoteIgnored[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT};

struct ExitRecord {
  int32_t pid;
  int32_t status;
};

// Closes every descriptor from `first` up except the three kept ones.
void CloseAllBut(int first, int a, int b, int c) {
  int keep[3] = {a, b, c};
  std::sort(std::begin(keep), std::end(keep));
  int lo = first;
  for (int k : keep) {
    if (k < lo) continue;
    if (k > lo) close_range(static_cast<unsigned>(lo), static_cast<unsigned>(k - 1), 0);
    lo = k + 1;
  }
  close_range(static_cast<unsigned>(lo), ~0U, 0);
}

// In the zygote's child: becomes what an exec'd drover-stepd in a session of its own would be.
[[noreturn]] void RunChild(SupervisorZygote::ChildMain child_main, const std::vector<std::string>& fields) {
  setsid();
  // Serve reset every other disposition once, at its start; only the ones it set itself differ
  // from what an exec'd stepd starts with (SIGPIPE and SIGHUP ignored there too: "re-read your
  // time limit" is ignored until the supervisor waits for it).
  for (int sig : kZygoteIgnored) {
    if (sig != SIGPIPE && sig != SIGHUP) signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  const int null_fd = open("/dev/null", O_RDONLY);
  const int log_fd = open(fields[0].c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (null_fd < 0 || log_fd < 0) _exit(126);
  dup2(null_fd, STDIN_FILENO);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  close_range(3, ~0U, 0);
  prctl(PR_SET_NAME, "drover-stepd");
  _exit(child_main(std::vector<std::string>(fields.begin() + 1, fields.end())));
}

void SendReply(int fd, int32_t value) { (void)!send(fd, &value, sizeof value, MSG_NOSIGNAL); }

}  // namespace

[[noreturn]] void ServeZygote(pid_t parent, int requests, int exits, SupervisorZygote::ChildMain child_main) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);  // noded died before the line above
  prctl(PR_SET_NAME, "drover-zygote");
  // noded's handlers, reset here once rather than in every child (each reset is a system call,
  // ~65 of them per job).
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  // Stopping noded's process group or session must not take the zygote away from a running
  // noded; it ends with noded's side of the sockets.
  for (int sig : kZygoteIgnored) signal(sig, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_SETMASK, &chld, nullptr);
  const int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) _exit(1);
  CloseAllBut(3, requests, exits, sfd);
  fcntl(exits, F_SETFL, fcntl(exits, F_GETFL) | O_NONBLOCK);

  std::deque<ExitRecord> unsent;
  std::string buf(kMaxRequest, '\0');
  for (;;) {
    pollfd fds[3] = {{requests, POLLIN, 0}, {sfd, POLLIN, 0}, {exits, unsent.empty() ? short(0) : short(POLLOUT), 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) > 0) {
      }
      int status = 0;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) unsent.push_back({pid, status});
    }
    while (!unsent.empty()) {
      const ssize_t n = send(exits, &unsent.front(), sizeof(ExitRecord), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n == static_cast<ssize_t>(sizeof(ExitRecord))) {
        unsent.pop_front();
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
      unsent.clear();  // noded is gone; the requests socket says so next
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = recv(requests, buf.data(), buf.size(), MSG_TRUNC);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) _exit(0);  // noded closed its side
      if (n < 0) continue;
      if (static_cast<size_t>(n) > buf.size()) {
        SendReply(requests, -EMSGSIZE);
        continue;
      }
      // Checked here, decoded in the child: every page the zygote writes after a fork (heap
      // for the decoded fields, and again to free them) is a copy-on-write fault while that
      // child lives, and the child copies what it writes anyway.
      if (!WellFormedZygoteFields(buf.data(), static_cast<size_t>(n))) {
        SendReply(requests, -EINVAL);
        continue;
      }
      const pid_t child = fork();
      if (child == 0) {
        close(requests);
        close(exits);
        close(sfd);
        auto fields = DecodeZygoteFields(std::string(buf.data(), static_cast<size_t>(n)));
        if (!fields.ok()) _exit(126);  // cannot happen: checked above
        RunChild(child_main, *fields);
      }
      SendReply(requests, child > 0 ? child : -errno);
    }
  }
}

bool WellFormedZygoteFields(const char* data, size_t size) {
  size_t at = 0;
  size_t count = 0;
  while (at < size) {
    uint32_t n = 0;
    if (size - at < sizeof n) return false;
    std::memcpy(&n, data + at, sizeof n);
    at += sizeof n;
    if (size - at < n) return false;
    at += n;
    ++count;
  }
  return count > 0;
}

std::string EncodeZygoteFields(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& f : fields) {
    const uint32_t n = static_cast<uint32_t>(f.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(f);
  }
  return out;
}

Result<std::vector<std::string>> DecodeZygoteFields(const std::string& bytes) {
  std::vector<std::string> fields;
  size_t at = 0;
  while (at < bytes.size()) {
    uint32_t n = 0;
    if (bytes.size() - at < sizeof n) return Status::InvalidArgument("truncated field length");
    std::memcpy(&n, bytes.data() + at, sizeof n);
    at += sizeof n;
    if (bytes.size() - at < n) return Status::InvalidArgument("truncated field");
    fields.emplace_back(bytes, at, n);
    at += n;
  }
  return fields;
}

namespace {

// The zygote's two channels: requests from noded, and the ends of its children to noded.
Status MakeSocketPairs(int requests[2], int exits[2]) {
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, requests) != 0) {
    return Status::Internal(std::string("socketpair: ") + std::strerror(errno));
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, exits) != 0) {
    const int err = errno;
    close(requests[0]);
    close(requests[1]);
    return Status::Internal(std::string("socketpair: ") + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SupervisorZygote>> SupervisorZygote::Start(ChildMain child_main) {
  int requests[2];
  int exits[2];
  if (Status made = MakeSocketPairs(requests, exits); !made.ok()) return made;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    close(requests[0]);
    close(exits[0]);
    ServeZygote(parent, requests[1], exits[1], child_main);
  }
  const int err = errno;
  close(requests[1]);
  close(exits[1]);
  if (pid < 0) {
    close(requests[0]);
    close(exits[0]);
    return Status::Internal(std::string("fork: ") + std::strerror(err));
  }
  fcntl(exits[0], F_SETFL, fcntl(exits[0], F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<SupervisorZygote>(new SupervisorZygote(pid, requests[0], exits[0]));
}

Result<std::unique_ptr<SupervisorZygote>> SupervisorZygote::Exec(const std::string& path) {
  int requests[2];
  int exits[2];
  if (Status made = MakeSocketPairs(requests, exits); !made.ok()) return made;
  // Copies above 4 first: dup2 onto the same number would keep close-on-exec set.
  const int theirs_requests = fcntl(requests[1], F_DUPFD_CLOEXEC, 10);
  const int theirs_exits = fcntl(exits[1], F_DUPFD_CLOEXEC, 10);
  close(requests[1]);
  close(exits[1]);
  const auto close_all = [&] {
    for (int fd : {requests[0], exits[0], theirs_requests, theirs_exits}) {
      if (fd >= 0) close(fd);
    }
  };
  if (theirs_requests < 0 || theirs_exits < 0) {
    const int err = errno;
    close_all();
    return Status::Internal(std::string("dup: ") + std::strerror(err));
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  // Every signal at its default and none blocked, whatever the caller has set up.
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, theirs_requests, kZygoteRequestsFd);
  posix_spawn_file_actions_adddup2(&actions, theirs_exits, kZygoteExitsFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, kZygoteExitsFd + 1);
  std::string arg0 = "drover-zygote";
  std::string parent = std::to_string(getpid());
  char* argv[] = {arg0.data(), parent.data(), nullptr};
  pid_t pid = -1;
  const int err = posix_spawn(&pid, path.c_str(), &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(theirs_requests);
  close(theirs_exits);
  if (err != 0) {
    close(requests[0]);
    close(exits[0]);
    return Status::Unavailable("cannot start " + path + ": " + std::strerror(err));
  }
  fcntl(exits[0], F_SETFL, fcntl(exits[0], F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<SupervisorZygote>(new SupervisorZygote(pid, requests[0], exits[0]));
}

SupervisorZygote::~SupervisorZygote() {
  // It exits on the closed socket. Not waited for here: its pid may have been reaped already
  // (noded's SIGCHLD loop reaps every child) and even be another child's by now.
  close(requests_fd_);
  close(exits_fd_);
}

Result<pid_t> SupervisorZygote::Spawn(const std::string& log_path, const std::vector<std::string>& fields) {
  std::vector<std::string> all{log_path};
  all.insert(all.end(), fields.begin(), fields.end());
  const std::string request = EncodeZygoteFields(all);
  if (request.size() > kMaxRequest) return Status::InvalidArgument("supervisor request too large");
  if (send(requests_fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    return Status::Unavailable(std::string("supervisor zygote: ") + std::strerror(errno));
  }
  int32_t reply = 0;
  ssize_t n;
  do {
    n = recv(requests_fd_, &reply, sizeof reply, 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof reply)) {
    return Status::Unavailable(n == 0 ? std::string("supervisor zygote is gone")
                                      : std::string("supervisor zygote: ") + std::strerror(errno));
  }
  if (reply <= 0) return Status::Internal(std::string("fork in the supervisor zygote: ") + std::strerror(-reply));
  return static_cast<pid_t>(reply);
}

std::vector<SupervisorZygote::Exit> SupervisorZygote::ReadExits(bool& gone) {
  std::vector<Exit> out;
  gone = false;
  for (;;) {
    ExitRecord r{};
    const ssize_t n = recv(exits_fd_, &r, sizeof r, MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(sizeof r)) {
      out.push_back({r.pid, r.status});
      continue;
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) gone = true;
    break;
  }
  return out;
}

}  // namespace drover::noded
