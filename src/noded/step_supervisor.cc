#include "noded/step_supervisor.h"

#include <fcntl.h>
#include <grp.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <optional>
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/credential.h"
#include "common/credential_proto.h"
#include "common/envelope.h"
#include "common/filename_pattern.h"
#include "common/frame.h"
#include "common/tls.h"
#include "drover/v1/drover.pb.h"
#include "noded/process_tree.h"
#include "noded/spool.h"
#include "noded/step_env.h"

extern char** environ;

namespace drover::noded {
namespace {

using asio::ip::tcp;
using SslStream = asio::ssl::stream<tcp::socket>;

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kHighWater = 4u << 20;  // queued output bytes before task pipes stop being read
constexpr auto kAttachTimeout = std::chrono::seconds(30);
constexpr uint32_t kMaxFrame = 16u << 20;

struct StepOptions {
  std::string dir;
  std::string node;
  int kill_wait_s = 10;
  std::string tls_ca, tls_cert, tls_key, key_file;
  uint32_t clock_skew_s = 60;
  int listen_fd = -1;
};

bool IsNumber(const std::string& s) {
  return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), ::isdigit);
}

[[noreturn]] void ChildFail(const std::string& what) {
  const std::string msg = "drover-stepd: " + what + ": " + std::strerror(errno) + "\n";
  (void)!write(STDERR_FILENO, msg.data(), msg.size());
  _exit(2);
}

struct Task {
  uint32_t id = 0;
  pid_t pid = -1;
  bool exited = false;
  int status = 0;
  bool reported = false;
  std::unique_ptr<asio::posix::stream_descriptor> out, err, in;
  bool out_open = false, err_open = false;
  bool pty = false;
  // stdin
  std::deque<std::string> in_queue;
  bool in_writing = false;
  bool in_eof = false;
};

class StepSupervisor {
 public:
  StepSupervisor(StepOptions opt, v1::LaunchStepRequest launch, std::shared_ptr<asio::ssl::context> tls,
                 ClusterKey key)
      : opt_(std::move(opt)),
        launch_(std::move(launch)),
        tls_(std::move(tls)),
        verifier_({std::move(key)}, VerifierOptions{opt_.clock_skew_s}),
        acceptor_(io_),
        signals_(io_, SIGCHLD, SIGTERM, SIGINT),
        hup_(io_, SIGHUP),
        attach_timer_(io_),
        kill_timer_(io_),
        deadline_timer_(io_),
        exit_timer_(io_) {}

  int Run() {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(opt_.listen_fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
      return Finish(JobState::kFailed, 1, 0, "no listening socket from drover-noded");
    }
    asio::error_code ec;
    acceptor_.assign(ss.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), opt_.listen_fd, ec);
    if (ec) return Finish(JobState::kFailed, 1, 0, "cannot use the listening socket: " + ec.message());
    WaitSignals();
    attach_timer_.expires_after(kAttachTimeout);
    attach_timer_.async_wait([this](const asio::error_code& e) {
      if (e || attached_) return;
      EndNow(JobState::kFailed, "srun did not connect to the step within 30 s");
    });
    ArmDeadline(launch_.deadline());
    WaitHangup();
    Accept();
    io_.run();
    return exit_status_;
  }

 private:
  // ---- connection and attach -------------------------------------------------------------
  void Accept() {
    auto stream = std::make_shared<SslStream>(io_, *tls_);
    acceptor_.async_accept(stream->lowest_layer(), [this, stream](const asio::error_code& ec) {
      if (ec || attached_ || finished_) return;
      // Keep accepting: a connection that never completes its attach must not keep srun out.
      Accept();
      asio::error_code ignored;
      stream->lowest_layer().set_option(tcp::no_delay(true), ignored);
      stream->async_handshake(asio::ssl::stream_base::server, [this, stream](const asio::error_code& hec) {
        if (hec || attached_) return;
        ReadAttach(stream, std::make_shared<FrameDecoder>(kMaxFrame), std::make_shared<std::string>(kReadChunk, '\0'));
      });
    });
  }

  void ReadAttach(std::shared_ptr<SslStream> stream, std::shared_ptr<FrameDecoder> dec,
                  std::shared_ptr<std::string> buf) {
    stream->async_read_some(asio::buffer(*buf), [this, stream, dec, buf](const asio::error_code& ec, size_t n) {
      if (ec || finished_ || attached_) return;
      dec->Feed(std::string_view(buf->data(), n));
      auto frame = dec->Next();
      if (!frame.ok()) return;
      if (!frame->has_value()) {
        ReadAttach(stream, dec, buf);
        return;
      }
      v1::Envelope env;
      Status s = env.ParseFromString(**frame) ? CheckAttach(env) : Status::InvalidArgument("malformed attach");
      std::string reply;
      (s.ok() ? MakeReply(env, [] { v1::Body b; b.mutable_ack(); return b; }()) : MakeErrorReply(env, s))
          .SerializeToString(&reply);
      auto out = std::make_shared<std::string>(EncodeFrame(reply));
      if (!s.ok()) {
        std::cerr << "drover-stepd: refused an attach: " << s.message() << std::endl;
        asio::async_write(*stream, asio::buffer(*out), [stream, out](const asio::error_code&, size_t) {
          asio::error_code ignored;
          stream->lowest_layer().close(ignored);
        });
        return;
      }
      attached_ = true;
      attach_timer_.cancel();
      asio::error_code ignored;
      acceptor_.close(ignored);
      stream_ = stream;
      decoder_ = dec;
      read_buf_ = buf;
      Send(std::move(*out));
      // Bytes that came with the attach are StepStream frames.
      if (!StartTasks()) return;
      DrainFrames();
      ReadStream();
    });
  }

  Status CheckAttach(const v1::Envelope& env) {
    auto body = ParseBody(env);
    if (!body.ok() || !body->has_step_attach()) return Status::InvalidArgument("expected a step attach");
    const auto& a = body->step_attach();
    if (a.job_id() != launch_.job_id() || a.step_id() != launch_.step_id()) {
      return Status::NotFound("this port serves another step");
    }
    const std::string& key = launch_.io_key();
    if (a.io_key().size() != key.size() || key.empty() ||
        CRYPTO_memcmp(a.io_key().data(), key.data(), key.size()) != 0) {
      return Status::PermissionDenied("wrong I/O key for the step");
    }
    if (!env.has_credential()) return Status::Unauthenticated("attach carries no credential");
    const CredentialFields fields = CredentialFromProto(env.credential());
    DROVER_RETURN_IF_ERROR(verifier_.Verify(fields, env.body(), ToUnixMillis(std::chrono::system_clock::now())));
    if (fields.uid != launch_.uid() && fields.uid != 0) {
      return Status::PermissionDenied("the step belongs to uid " + std::to_string(launch_.uid()));
    }
    return Status::Ok();
  }

  void ReadStream() {
    stream_->async_read_some(asio::buffer(*read_buf_), [this](const asio::error_code& ec, size_t n) {
      if (ec) {
        stream_lost_ = true;
        // This read, not the shutdown's, sees srun's close: waiting for the shutdown to
        // finish would hold the step (and its end in sacct) until the timer.
        if (exiting_) Exit();
        if (!all_reported_) {
          std::cerr << "drover-stepd: srun's connection ended (" << ec.message() << "): killing the step\n";
          Kill(JobState::kCancelled, "srun went away");
        }
        return;
      }
      decoder_->Feed(std::string_view(read_buf_->data(), n));
      DrainFrames();
      if (!stream_lost_) ReadStream();
    });
  }

  void DrainFrames() {
    for (;;) {
      auto frame = decoder_->Next();
      if (!frame.ok()) {
        stream_lost_ = true;
        Kill(JobState::kCancelled, "srun sent an oversized frame");
        return;
      }
      if (!frame->has_value()) return;
      v1::StepStream msg;
      if (!msg.ParseFromString(**frame)) continue;
      switch (msg.kind_case()) {
        case v1::StepStream::kIo:
          if (msg.io().fd() == v1::StepStream::FD_STDIN) Stdin(msg.io().data(), msg.io().eof());
          break;
        case v1::StepStream::kSignal:
          SignalTasks(msg.signal());
          break;
        case v1::StepStream::kTerminate:
          Terminate(JobState::kCancelled, "cancelled by srun");
          break;
        case v1::StepStream::kWindow:
          for (auto& t : tasks_) {
            if (t.pty && t.out) {
              winsize ws{};
              ws.ws_row = static_cast<unsigned short>(msg.window().rows());
              ws.ws_col = static_cast<unsigned short>(msg.window().cols());
              ioctl(t.out->native_handle(), TIOCSWINSZ, &ws);
            }
          }
          break;
        default:
          break;
      }
    }
  }

  void Send(std::string frame) {
    if (stream_lost_ || !stream_) return;
    queued_ += frame.size();
    out_queue_.push_back(std::move(frame));
    if (!writing_) WriteNext();
  }

  void SendMessage(const v1::StepStream& msg) {
    std::string payload;
    msg.SerializeToString(&payload);
    Send(EncodeFrame(payload));
  }

  void WriteNext() {
    if (out_queue_.empty()) {
      writing_ = false;
      if (closing_) CloseAndExit();
      return;
    }
    writing_ = true;
    asio::async_write(*stream_, asio::buffer(out_queue_.front()), [this](const asio::error_code& ec, size_t) {
      queued_ -= out_queue_.front().size();
      out_queue_.pop_front();
      if (ec) {
        stream_lost_ = true;
        writing_ = false;
        out_queue_.clear();
        queued_ = 0;
        if (!all_reported_) Kill(JobState::kCancelled, "srun went away");
        if (closing_) CloseAndExit();
        return;
      }
      if (queued_ < kHighWater) ResumeReaders();
      WriteNext();
    });
  }

  // ---- tasks ------------------------------------------------------------------------------
  const v1::StepNode* Me() const {
    for (const auto& n : launch_.layout()) {
      if (n.node() == opt_.node) return &n;
    }
    return nullptr;
  }

  std::string ExpandPath(const std::string& pattern, uint32_t task, uint32_t node_index) const {
    FilenameContext ctx;
    ctx.job_id = launch_.job_id();
    if (launch_.job().array_job_id()) {
      ctx.array_job_id = launch_.job().array_job_id();
      ctx.array_task_id = launch_.job().array_task_id();
    }
    ctx.step = std::to_string(launch_.step_id());
    ctx.node_name = opt_.node;
    ctx.node_index = node_index;
    ctx.task_id = task;
    ctx.user = launch_.user();
    ctx.job_name = launch_.job().spec().name();
    std::string path = ExpandFilenamePattern(pattern, ctx);
    if (!path.empty() && path[0] != '/') path = launch_.spec().work_dir() + "/" + path;
    return path;
  }

  bool StartTasks() {
    const v1::StepNode* me = Me();
    if (me == nullptr) {
      EndNow(JobState::kFailed, "this node is not part of the step");
      return false;
    }
    uint32_t node_index = 0;
    for (int i = 0; i < launch_.layout_size(); ++i) {
      if (launch_.layout(i).node() == opt_.node) node_index = static_cast<uint32_t>(i);
    }
    const auto& spec = launch_.spec();
    std::string pids;
    std::set<std::string> truncated;
    for (uint32_t task_id : me->task_ids()) {
      Task t;
      t.id = task_id;
      const std::string& outp = spec.stdout_pattern();
      const std::string& errp = spec.stderr_pattern();
      auto streams = [&](const std::string& p) { return p.empty() || p == "all" || (IsNumber(p) && std::stoul(p) == task_id); };
      auto is_file = [&](const std::string& p) { return !p.empty() && p != "all" && p != "none" && !IsNumber(p); };
      // -e defaults to -o (Slurm), file or not.
      const std::string& errp_eff = errp.empty() ? outp : errp;
      const bool out_stream = streams(outp);
      const bool err_stream = streams(errp_eff);
      std::string out_file = is_file(outp) ? ExpandPath(outp, task_id, node_index) : "";
      std::string err_file = is_file(errp_eff) ? ExpandPath(errp_eff, task_id, node_index) : "";
      const bool in_stream = spec.stdin_mode().empty() || spec.stdin_mode() == "all" ||
                             (IsNumber(spec.stdin_mode()) && std::stoul(spec.stdin_mode()) == task_id);
      const bool pty = spec.pty() && task_id == 0;
      bool trunc_out = !out_file.empty() && truncated.insert(out_file).second;
      bool trunc_err = !err_file.empty() && err_file != out_file && truncated.insert(err_file).second;

      int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1};
      int master = -1;
      std::string slave_name;
      if (pty) {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
          EndNow(JobState::kFailed, std::string("cannot make a pseudo-terminal: ") + std::strerror(errno));
          return false;
        }
        slave_name = ptsname(master);
      } else {
        if ((out_stream && out_file.empty() && pipe2(out_pipe, O_CLOEXEC) != 0) ||
            (err_stream && err_file.empty() && pipe2(err_pipe, O_CLOEXEC) != 0) ||
            (in_stream && pipe2(in_pipe, O_CLOEXEC) != 0)) {
          EndNow(JobState::kFailed, std::string("pipe: ") + std::strerror(errno));
          return false;
        }
      }
      const pid_t pid = fork();
      if (pid < 0) {
        EndNow(JobState::kFailed, std::string("fork: ") + std::strerror(errno));
        return false;
      }
      if (pid == 0) {
        RunTask(task_id, pty, slave_name, out_pipe[1], err_pipe[1], in_pipe[0], out_file, err_file,
                trunc_out, trunc_err, out_stream, err_stream, in_stream);
      }
      t.pid = pid;
      t.pty = pty;
      pids += std::to_string(pid) + "\n";
      auto wrap = [&](int fd) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        return std::make_unique<asio::posix::stream_descriptor>(io_, fd);
      };
      if (pty) {
        t.out = wrap(master);
        t.out_open = true;
        t.in_eof = false;
      } else {
        if (out_pipe[0] >= 0) {
          close(out_pipe[1]);
          t.out = wrap(out_pipe[0]);
          t.out_open = true;
        }
        if (err_pipe[0] >= 0) {
          close(err_pipe[1]);
          t.err = wrap(err_pipe[0]);
          t.err_open = true;
        }
        if (in_pipe[0] >= 0) {
          close(in_pipe[0]);
          t.in = wrap(in_pipe[1]);
        }
      }
      tasks_.push_back(std::move(t));
    }
    (void)WriteFileAtomic(opt_.dir + "/tasks.pid", pids, 0600, Survives::kProcessCrash);
    for (size_t i = 0; i < tasks_.size(); ++i) {
      if (tasks_[i].out) ReadOutput(i, true);
      if (tasks_[i].err) ReadOutput(i, false);
    }
    CheckDone();
    return true;
  }

  [[noreturn]] void RunTask(uint32_t task_id, bool pty, const std::string& slave, int out_w, int err_w,
                            int in_r, const std::string& out_file, const std::string& err_file,
                            bool trunc_out, bool trunc_err, bool out_stream, bool err_stream, bool in_stream) {
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGPIPE, SIGHUP, SIGQUIT}) signal(sig, SIG_DFL);
    if (pty) {
      const int fd = open(slave.c_str(), O_RDWR);
      if (fd < 0) ChildFail("open " + slave);
      ioctl(fd, TIOCSCTTY, 0);
      dup2(fd, 0);
      dup2(fd, 1);
      dup2(fd, 2);
      if (fd > 2) close(fd);
    }
    if (geteuid() == 0 && launch_.uid() != 0) {
      std::vector<gid_t> groups(launch_.groups().begin(), launch_.groups().end());
      if (setgroups(groups.size(), groups.data()) != 0) ChildFail("setgroups");
      if (setgid(launch_.gid()) != 0) ChildFail("setgid");
      if (setuid(launch_.uid()) != 0) ChildFail("setuid");
    }
    umask(022);
    if (!pty) {
      const int devnull = open("/dev/null", O_RDWR);
      auto target = [&](int pipe_w, const std::string& file, bool trunc, bool stream, int fallback) {
        if (!file.empty()) {
          const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | (trunc ? O_TRUNC : 0), 0644);
          if (fd < 0) ChildFail("open " + file);
          return fd;
        }
        if (stream && pipe_w >= 0) return pipe_w;
        return fallback;
      };
      const int out = target(out_w, out_file, trunc_out, out_stream, devnull);
      const int err = err_file == out_file && !out_file.empty() ? out : target(err_w, err_file, trunc_err, err_stream, devnull);
      dup2(in_stream && in_r >= 0 ? in_r : devnull, 0);
      dup2(out, 1);
      dup2(err, 2);
    }
    for (int fd = 3; fd < 4096; ++fd) close(fd);
    const std::string& work = launch_.spec().work_dir();
    if (work.empty() || chdir(work.c_str()) != 0) {
      std::cerr << "drover-stepd: task " << task_id << ": cannot chdir to " << work << ": "
                << std::strerror(errno) << "; running in /tmp\n";
      if (chdir("/tmp") != 0) _exit(2);
    }
    auto env = BuildStepEnvironment(launch_, opt_.node, task_id);
    env.emplace_back("SLURM_TASK_PID", std::to_string(getpid()));
    env.emplace_back("DROVER_TASK_PID", std::to_string(getpid()));
    auto env_strings = ToEnvp(env);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args(launch_.spec().argv().begin(), launch_.spec().argv().end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    environ = envp.data();  // execvp searches the task's own PATH
    execvp(argv[0], argv.data());
    const std::string msg = "drover-stepd: error: task " + std::to_string(task_id) + ": execve(): " +
                            args[0] + ": " + std::strerror(errno) + "\n";
    (void)!write(STDERR_FILENO, msg.data(), msg.size());
    _exit(2);
  }

  void ReadOutput(size_t index, bool is_out) {
    Task& t = tasks_[index];
    auto& sd = is_out ? t.out : t.err;
    if (queued_ >= kHighWater) {
      paused_.push_back({index, is_out});
      return;
    }
    auto buf = std::make_shared<std::string>(kReadChunk, '\0');
    sd->async_read_some(asio::buffer(*buf), [this, index, is_out, buf](const asio::error_code& ec, size_t n) {
      Task& task = tasks_[index];
      v1::StepStream msg;
      auto* io = msg.mutable_io();
      io->set_task(task.id);
      io->set_fd(is_out ? v1::StepStream::FD_STDOUT : v1::StepStream::FD_STDERR);
      if (ec) {
        // EOF (or EIO from a pty whose last holder closed it).
        (is_out ? task.out_open : task.err_open) = false;
        asio::error_code ignored;
        (is_out ? task.out : task.err)->close(ignored);
        if (task.pty) task.in.reset();
        io->set_eof(true);
        SendMessage(msg);
        CheckDone();
        return;
      }
      io->set_data(buf->data(), n);
      SendMessage(msg);
      ReadOutput(index, is_out);
    });
  }

  void ResumeReaders() {
    auto paused = std::move(paused_);
    paused_.clear();
    for (const auto& [index, is_out] : paused) ReadOutput(index, is_out);
  }

  void Stdin(const std::string& data, bool eof) {
    for (auto& t : tasks_) {
      asio::posix::stream_descriptor* sd = t.pty ? t.out.get() : t.in.get();
      if (sd == nullptr || t.in_eof) continue;
      if (!data.empty()) t.in_queue.push_back(data);
      if (eof) {
        if (t.pty) {
          t.in_queue.push_back(std::string(1, '\x04'));  // ^D: end of input on a terminal
        } else {
          t.in_eof = true;
        }
      }
      if (!t.in_writing) WriteStdin(t);
    }
  }

  void WriteStdin(Task& t) {
    asio::posix::stream_descriptor* sd = t.pty ? t.out.get() : t.in.get();
    if (sd == nullptr) return;
    if (t.in_queue.empty()) {
      t.in_writing = false;
      if (t.in_eof && t.in) {
        asio::error_code ignored;
        t.in->close(ignored);
        t.in.reset();
      }
      return;
    }
    t.in_writing = true;
    const uint32_t id = t.id;
    asio::async_write(*sd, asio::buffer(t.in_queue.front()), [this, id](const asio::error_code& ec, size_t) {
      for (auto& task : tasks_) {
        if (task.id != id) continue;
        task.in_queue.pop_front();
        if (ec) {
          // The task closed its stdin: the rest is dropped, as a pipe would.
          task.in_queue.clear();
          task.in_eof = true;
          task.in_writing = false;
          if (task.in) {
            asio::error_code ignored;
            task.in->close(ignored);
            task.in.reset();
          }
          return;
        }
        WriteStdin(task);
      }
    });
  }

  void SignalTasks(int sig) {
    if (sig <= 0 || sig >= 65) return;
    for (const auto& t : tasks_) {
      if (!t.exited) kill(-t.pid, sig);
    }
  }

  // ---- ending -------------------------------------------------------------------------------
  void WaitSignals() {
    signals_.async_wait([this](const asio::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGCHLD) {
        int status = 0;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
          for (auto& t : tasks_) {
            if (t.pid == pid) {
              t.exited = true;
              t.status = status;
            }
          }
        }
        CheckDone();
      } else {
        Terminate(JobState::kCancelled, "cancelled");
      }
      WaitSignals();
    });
  }

  void ArmDeadline(int64_t deadline) {
    deadline_timer_.cancel();
    if (deadline == 0) return;
    const auto left = std::chrono::seconds(
        std::max<int64_t>(0, deadline - ToUnixSeconds(std::chrono::system_clock::now())));
    deadline_timer_.expires_after(left);
    deadline_timer_.async_wait([this](const asio::error_code& e) {
      if (!e) Terminate(JobState::kTimeout, "time limit reached");
    });
  }

  // SIGHUP from noded: the job's time limit changed; the new end is in <dir>/deadline.
  void WaitHangup() {
    hup_.async_wait([this](const asio::error_code& ec, int) {
      if (ec) return;
      auto text = ReadWholeFile(opt_.dir + "/deadline");
      if (text.ok()) {
        try {
          const int64_t deadline = std::stoll(*text);
          std::cerr << "drover-stepd: the job's time limit now ends at " << deadline << " (0 = none)" << std::endl;
          ArmDeadline(deadline);
        } catch (const std::exception&) {
        }
      }
      WaitHangup();
    });
  }

  // SIGTERM now, SIGKILL after kill_wait: as a batch job's cancel.
  void Terminate(JobState state, const std::string& reason) {
    if (end_state_) return;
    end_state_ = state;
    end_reason_ = reason;
    if (tasks_.empty()) {
      EndNow(state, reason);
      return;
    }
    for (const auto& t : tasks_) {
      if (!t.exited) kill(-t.pid, SIGTERM);
    }
    SignalDescendants(getpid(), SIGTERM);
    kill_timer_.expires_after(std::chrono::seconds(opt_.kill_wait_s));
    kill_timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec) KillAll();
    });
  }

  void Kill(JobState state, const std::string& reason) {
    if (!end_state_) {
      end_state_ = state;
      end_reason_ = reason;
    }
    if (tasks_.empty()) {
      EndNow(state, reason);
      return;
    }
    KillAll();
  }

  void KillAll() {
    for (const auto& t : tasks_) {
      if (!t.exited) kill(-t.pid, SIGKILL);
    }
    SignalDescendants(getpid(), SIGKILL);
  }

  // Each task's exit is sent once it has ended and its output is drained; when every task is
  // reported the step is over here.
  void CheckDone() {
    bool all_exited = !tasks_.empty();
    for (const auto& t : tasks_) all_exited &= t.exited;
    // Whatever the tasks left behind goes with them, as in Slurm; that also closes pipes a
    // leftover process still held.
    if (all_exited && !leftovers_killed_) {
      leftovers_killed_ = true;
      for (int round = 0; round < 100 && SignalDescendants(getpid(), SIGKILL) > 0; ++round) {
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        usleep(1000);
      }
    }
    for (auto& t : tasks_) {
      if (t.reported || !t.exited || t.out_open || t.err_open) continue;
      t.reported = true;
      v1::StepStream msg;
      auto* e = msg.mutable_task_exit();
      e->set_task(t.id);
      if (WIFEXITED(t.status)) e->set_exit_code(WEXITSTATUS(t.status));
      if (WIFSIGNALED(t.status)) e->set_signal(WTERMSIG(t.status));
      SendMessage(msg);
    }
    if (all_reported_ || tasks_.empty()) return;
    for (const auto& t : tasks_) {
      if (!t.reported) return;
    }
    all_reported_ = true;
    int code = 0, sig = 0;
    for (const auto& t : tasks_) {
      if (WIFEXITED(t.status)) code = std::max(code, WEXITSTATUS(t.status));
      if (WIFSIGNALED(t.status) && sig == 0) sig = WTERMSIG(t.status);
    }
    JobState state = end_state_ ? *end_state_ : (code == 0 && sig == 0 ? JobState::kCompleted : JobState::kFailed);
    v1::StepStream done;
    done.mutable_done();
    SendMessage(done);
    Finish(state, code, sig, end_reason_);
    closing_ = true;
    if (!writing_) CloseAndExit();
  }

  // Ends before any task ran (no attach, a failed fork).
  void EndNow(JobState state, const std::string& reason) {
    std::cerr << "drover-stepd: " << reason << std::endl;
    KillAll();
    if (stream_ && !stream_lost_) {
      v1::StepStream done;
      done.mutable_done()->set_error(reason);
      SendMessage(done);
    }
    Finish(state, 1, 0, reason);
    closing_ = true;
    if (!writing_) CloseAndExit();
  }

  int Finish(JobState state, int code, int sig, const std::string& reason) {
    if (result_written_) return exit_status_;
    result_written_ = true;
    JobResult r;
    r.state = state;
    r.exit_code = code;
    r.exit_signal = sig;
    r.reason = reason;
    if (auto s = WriteFileAtomic(opt_.dir + "/result", EncodeResult(r), 0600); !s.ok()) {
      std::cerr << "drover-stepd: " << s.message() << std::endl;
      exit_status_ = 1;
    }
    return exit_status_;
  }

  // The result is on disk; what is left is a polite TLS close, bounded in time. The process
  // then ends at once (_exit): nothing else is owed to anybody.
  void CloseAndExit() {
    if (exiting_) return;
    exiting_ = true;
    const bool polite = stream_ && !stream_lost_;
    exit_timer_.expires_after(polite ? std::chrono::seconds(2) : std::chrono::seconds(0));
    exit_timer_.async_wait([this](const asio::error_code&) { Exit(); });
    if (polite) stream_->async_shutdown([this](const asio::error_code&) { Exit(); });
  }

  [[noreturn]] void Exit() {
    asio::error_code ignored;
    if (stream_) stream_->lowest_layer().close(ignored);
    std::cerr.flush();
    _exit(exit_status_);
  }

  StepOptions opt_;
  v1::LaunchStepRequest launch_;
  std::shared_ptr<asio::ssl::context> tls_;
  CredentialVerifier verifier_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::signal_set hup_;
  asio::steady_timer attach_timer_, kill_timer_, deadline_timer_, exit_timer_;
  std::shared_ptr<SslStream> stream_;
  std::shared_ptr<FrameDecoder> decoder_;
  std::shared_ptr<std::string> read_buf_;
  std::deque<std::string> out_queue_;
  size_t queued_ = 0;
  bool writing_ = false;
  std::vector<std::pair<size_t, bool>> paused_;
  std::vector<Task> tasks_;
  bool attached_ = false, stream_lost_ = false, all_reported_ = false, closing_ = false;
  bool exiting_ = false, finished_ = false, result_written_ = false, leftovers_killed_ = false;
  std::optional<JobState> end_state_;
  std::string end_reason_;
  int exit_status_ = 0;
};

}  // namespace

int RunStepMode(int argc, char** argv) {
  StepOptions opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--step") continue;
    if (a == "--node") opt.node = next();
    else if (a == "--kill-wait") opt.kill_wait_s = std::atoi(next().c_str());
    else if (a == "--tls-ca") opt.tls_ca = next();
    else if (a == "--tls-cert") opt.tls_cert = next();
    else if (a == "--tls-key") opt.tls_key = next();
    else if (a == "--key-file") opt.key_file = next();
    else if (a == "--clock-skew") opt.clock_skew_s = static_cast<uint32_t>(std::atoi(next().c_str()));
    else if (a == "--listen-fd") opt.listen_fd = std::atoi(next().c_str());
    else if (opt.dir.empty() && !a.empty() && a[0] != '-') opt.dir = a;
    else {
      std::cerr << "usage: drover-stepd --step --node NAME --tls-ca F --tls-cert F --tls-key F --key-file F "
                   "--listen-fd N [--kill-wait S] [--clock-skew S] STEPDIR\n"
                   "  (started by drover-noded; not meant to be run by hand)\n";
      return 2;
    }
  }
  if (opt.dir.empty() || opt.node.empty() || opt.listen_fd < 0) {
    std::cerr << "drover-stepd: --node, --listen-fd and STEPDIR are required\n";
    return 2;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  (void)WriteFileAtomic(opt.dir + "/stepd.pid", std::to_string(getpid()) + "\n", 0600, Survives::kProcessCrash);
  auto fail = [&](const std::string& why) {
    std::cerr << "drover-stepd: " << why << std::endl;
    JobResult r;
    r.state = JobState::kFailed;
    r.exit_code = 1;
    r.reason = why;
    (void)WriteFileAtomic(opt.dir + "/result", EncodeResult(r), 0600);
    return 1;
  };
  auto data = ReadWholeFile(opt.dir + "/launch.pb");
  v1::LaunchStepRequest launch;
  if (!data.ok() || !launch.ParseFromString(*data)) return fail("cannot read " + opt.dir + "/launch.pb");
  auto tls = MakeServerTlsContext(TlsFiles{opt.tls_ca, opt.tls_cert, opt.tls_key});
  if (!tls.ok()) return fail(tls.status().message());
  auto key = LoadClusterKey(opt.key_file);
  if (!key.ok()) return fail(key.status().message());
  StepSupervisor sup(std::move(opt), std::move(launch), *tls, std::move(*key));
  return sup.Run();
}

}  // namespace drover::noded
