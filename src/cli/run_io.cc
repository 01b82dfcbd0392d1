#include "cli/run_io.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <thread>

#include "common/envelope.h"
#include "common/frame.h"

namespace drover::cli {
namespace {

using asio::ip::tcp;
using SslStream = asio::ssl::stream<tcp::socket>;

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // stdout gone: the output is lost, the step goes on
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

struct Conn {
  v1::StepNode node;
  std::shared_ptr<SslStream> stream;
  FrameDecoder decoder;
  std::string buf = std::string(64 * 1024, '\0');
  std::deque<std::string> out;
  bool connected = false, writing = false, attached = false, done = false;
  explicit Conn(uint32_t max_frame) : decoder(max_frame) {}
};

class StepIoClient {
 public:
  StepIoClient(const v1::CreateStepResponse& step, std::shared_ptr<asio::ssl::context> tls,
               const StepIoOptions& options)
      : step_(step), tls_(std::move(tls)), opt_(options), signals_(io_) {
    width_ = std::to_string(step.ntasks() > 0 ? step.ntasks() - 1 : 0).size();
  }

  int Run(const v1::Credential& credential, const std::string& attach_body) {
    v1::Envelope attach;
    attach.set_version(kProtocolVersion);
    attach.set_request_id(1);
    *attach.mutable_credential() = credential;
    attach.set_body(attach_body);
    std::string payload;
    attach.SerializeToString(&payload);
    const std::string frame = EncodeFrame(payload);
    for (const auto& n : step_.nodes()) {
      auto c = std::make_unique<Conn>(opt_.max_frame_bytes);
      c->node = n;
      c->out.push_back(frame);
      conns_.push_back(std::move(c));
    }
    for (size_t i = 0; i < conns_.size(); ++i) Connect(i);
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);
    if (opt_.pty) signals_.add(SIGWINCH);
    WaitSignal();
    if (opt_.pty) EnterRawMode();
    if (opt_.forward_stdin) StartStdinThread();
    io_.run();
    if (raw_) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios_);
    for (auto& [key, lb] : lines_) WriteAll(key.second == v1::StepStream::FD_STDERR ? 2 : 1, lb.Flush());
    if (stdin_thread_.joinable()) stdin_thread_.detach();  // may be blocked in read(); exit ends it
    return failed_ ? std::max(status_, 1) : status_;
  }

 private:
  void Error(const std::string& msg) { std::cerr << opt_.prog << ": error: " << msg << std::endl; }

  void Connect(size_t i) {
    Conn& c = *conns_[i];
    c.stream = std::make_shared<SslStream>(io_, *tls_);
    asio::error_code ec;
    auto addr = asio::ip::make_address(c.node.address(), ec);
    auto on_connect = [this, i](const asio::error_code& cec) {
      Conn& conn = *conns_[i];
      if (cec) return Lost(i, "cannot connect to " + conn.node.address() + ":" + std::to_string(conn.node.port()) + ": " + cec.message());
      asio::error_code ignored;
      conn.stream->lowest_layer().set_option(tcp::no_delay(true), ignored);
      SSL* ssl = conn.stream->native_handle();
      // The step daemon presents its node's certificate: the name must be the node's.
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
      if (SSL_set1_host(ssl, conn.node.node().c_str()) != 1 ||
          SSL_set_tlsext_host_name(ssl, conn.node.node().c_str()) != 1) {
        ERR_clear_error();
        return Lost(i, "cannot use '" + conn.node.node() + "' as a TLS server name");
      }
      conn.stream->set_verify_mode(asio::ssl::verify_peer, ignored);
      conn.stream->async_handshake(asio::ssl::stream_base::client, [this, i](const asio::error_code& hec) {
        Conn& k = *conns_[i];
        if (hec) {
          const long verify = SSL_get_verify_result(k.stream->native_handle());
          ERR_clear_error();
          return Lost(i, verify != X509_V_OK
                             ? std::string("the step daemon's certificate did not verify for ") + k.node.node() +
                                   ": " + X509_verify_cert_error_string(verify)
                             : "TLS handshake failed: " + hec.message());
        }
        k.connected = true;
        Read(i);
        Pump(i);
      });
    };
    if (ec) {
      auto resolver = std::make_shared<tcp::resolver>(io_);
      resolver->async_resolve(c.node.address(), std::to_string(c.node.port()),
                              [this, i, resolver, on_connect](const asio::error_code& rec, tcp::resolver::results_type r) {
                                if (rec) return Lost(i, "cannot resolve " + conns_[i]->node.address() + ": " + rec.message());
                                asio::async_connect(conns_[i]->stream->lowest_layer(), r,
                                                    [on_connect](const asio::error_code& e, const tcp::endpoint&) { on_connect(e); });
                              });
      return;
    }
    c.stream->lowest_layer().async_connect(tcp::endpoint(addr, static_cast<uint16_t>(c.node.port())), on_connect);
  }

  void Send(size_t i, std::string frame) {
    Conn& c = *conns_[i];
    if (c.done) return;
    c.out.push_back(std::move(frame));
    Pump(i);
  }

  void SendAll(const v1::StepStream& msg) {
    std::string payload;
    msg.SerializeToString(&payload);
    const std::string frame = EncodeFrame(payload);
    for (size_t i = 0; i < conns_.size(); ++i) Send(i, frame);
  }

  void Pump(size_t i) {
    Conn& c = *conns_[i];
    if (!c.connected || c.writing || c.out.empty() || c.done) return;
    c.writing = true;
    asio::async_write(*c.stream, asio::buffer(c.out.front()), [this, i](const asio::error_code& ec, size_t) {
      Conn& k = *conns_[i];
      k.writing = false;
      if (k.done) return;
      if (ec) return Lost(i, "lost the connection to the step: " + ec.message());
      k.out.pop_front();
      Pump(i);
    });
  }

  void Read(size_t i) {
    Conn& c = *conns_[i];
    c.stream->async_read_some(asio::buffer(c.buf), [this, i](const asio::error_code& ec, size_t n) {
      Conn& k = *conns_[i];
      if (k.done) return;
      if (ec) return Lost(i, "lost the connection to the step: " + ec.message());
      k.decoder.Feed(std::string_view(k.buf.data(), n));
      for (;;) {
        auto frame = k.decoder.Next();
        if (!frame.ok()) return Lost(i, "the step daemon sent an oversized frame");
        if (!frame->has_value()) break;
        if (!k.attached) {
          v1::Envelope reply;
          if (!reply.ParseFromString(**frame)) return Lost(i, "malformed attach reply");
          auto body = BodyOrError(Result<v1::Envelope>(reply));
          if (!body.ok()) return Lost(i, "the step daemon refused the attach: " + body.status().message());
          k.attached = true;
          if (opt_.pty && i == 0) SendWindow();
          continue;
        }
        v1::StepStream msg;
        if (!msg.ParseFromString(**frame)) continue;
        Handle(i, msg);
        if (k.done) return;
      }
      Read(i);
    });
  }

  void Handle(size_t i, const v1::StepStream& msg) {
    Conn& c = *conns_[i];
    switch (msg.kind_case()) {
      case v1::StepStream::kIo: {
        const auto& io = msg.io();
        const int fd = io.fd() == v1::StepStream::FD_STDERR ? 2 : 1;
        if (opt_.unbuffered || opt_.pty) {
          WriteAll(fd, io.data());
          break;
        }
        auto key = std::make_pair(io.task(), io.fd());
        auto it = lines_.find(key);
        if (it == lines_.end()) {
          std::string label;
          if (opt_.label) {
            label = std::to_string(io.task());
            label = std::string(width_ - std::min(width_, label.size()), ' ') + label + ": ";
          }
          it = lines_.emplace(key, LineBuffer(label)).first;
        }
        WriteAll(fd, it->second.Feed(io.data()));
        if (io.eof()) WriteAll(fd, it->second.Flush());
        break;
      }
      case v1::StepStream::kTaskExit: {
        const auto& e = msg.task_exit();
        int status = e.exit_code();
        if (e.signal() != 0) {
          status = 128 + e.signal();
          if (!opt_.quiet) Error(c.node.node() + ": task " + std::to_string(e.task()) + ": " + strsignal(e.signal()));
        } else if (e.exit_code() != 0 && !opt_.quiet) {
          Error(c.node.node() + ": task " + std::to_string(e.task()) + ": Exited with exit code " +
                std::to_string(e.exit_code()));
        }
        status_ = std::max(status_, status);
        if (status != 0 && opt_.kill_on_bad_exit && !terminating_) {
          terminating_ = true;
          if (!opt_.quiet) std::cerr << opt_.prog << ": Terminating StepId=" << step_.job_id() << "." << step_.step_id() << std::endl;
          v1::StepStream t;
          t.set_terminate(true);
          SendAll(t);
        }
        break;
      }
      case v1::StepStream::kDone:
        if (!msg.done().error().empty()) {
          Error(c.node.node() + ": " + msg.done().error());
          failed_ = true;
        }
        Finish(i);
        break;
      default:
        break;
    }
  }

  void Lost(size_t i, const std::string& why) {
    Conn& c = *conns_[i];
    if (c.done) return;
    Error(c.node.node() + ": " + why);
    failed_ = true;
    Finish(i);
  }

  void Finish(size_t i) {
    Conn& c = *conns_[i];
    c.done = true;
    asio::error_code ignored;
    c.stream->lowest_layer().close(ignored);
    for (const auto& k : conns_) {
      if (!k->done) return;
    }
    signals_.cancel();
    io_.stop();
  }

  void WaitSignal() {
    signals_.async_wait([this](const asio::error_code& ec, int sig) {
      if (ec) return;
      v1::StepStream msg;
      if (sig == SIGINT) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_sigint_ < std::chrono::seconds(1)) {
          if (!opt_.quiet) std::cerr << opt_.prog << ": forcing job termination" << std::endl;
          msg.set_signal(SIGKILL);
        } else {
          if (!opt_.quiet) std::cerr << opt_.prog << ": interrupt (one more within 1 sec to abort)" << std::endl;
          msg.set_signal(SIGINT);
        }
        last_sigint_ = now;
      } else if (sig == SIGWINCH) {
        SendWindow();
        WaitSignal();
        return;
      } else {
        if (!opt_.quiet) std::cerr << opt_.prog << ": got " << strsignal(sig) << ": ending the step" << std::endl;
        msg.set_terminate(true);
      }
      SendAll(msg);
      WaitSignal();
    });
  }

  void SendWindow() {
    winsize ws{};
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0) return;
    v1::StepStream msg;
    msg.mutable_window()->set_rows(ws.ws_row);
    msg.mutable_window()->set_cols(ws.ws_col);
    std::string payload;
    msg.SerializeToString(&payload);
    if (!conns_.empty()) Send(0, EncodeFrame(payload));
  }

  void EnterRawMode() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios_) != 0) return;
    termios raw = saved_termios_;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0) raw_ = true;
  }

  // read() on stdin blocks (and a regular file cannot be polled), so it gets a thread that
  // hands each chunk to the io_context.
  void StartStdinThread() {
    stdin_thread_ = std::thread([this] {
      std::string buf(64 * 1024, '\0');
      for (;;) {
        const ssize_t n = read(STDIN_FILENO, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        v1::StepStream msg;
        auto* io = msg.mutable_io();
        io->set_fd(v1::StepStream::FD_STDIN);
        if (n <= 0) {
          io->set_eof(true);
        } else {
          io->set_data(buf.data(), static_cast<size_t>(n));
        }
        asio::post(io_, [this, msg] { SendAll(msg); });
        if (n <= 0) return;
      }
    });
  }

  v1::CreateStepResponse step_;
  std::shared_ptr<asio::ssl::context> tls_;
  StepIoOptions opt_;
  asio::io_context io_;
  asio::signal_set signals_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::map<std::pair<uint32_t, int>, LineBuffer> lines_;
  size_t width_ = 1;
  int status_ = 0;
  bool failed_ = false, terminating_ = false, raw_ = false;
  termios saved_termios_{};
  std::chrono::steady_clock::time_point last_sigint_{};
  std::thread stdin_thread_;
};

}  // namespace

std::string StepAttachBody(const v1::CreateStepResponse& step) {
  v1::Body body;
  auto* a = body.mutable_step_attach();
  a->set_job_id(step.job_id());
  a->set_step_id(step.step_id());
  a->set_io_key(step.io_key());
  std::string out;
  body.SerializeToString(&out);
  return out;
}

int RunStepIo(const v1::CreateStepResponse& step, std::shared_ptr<asio::ssl::context> tls,
              const v1::Credential& credential, const std::string& attach_body,
              const StepIoOptions& options) {
  StepIoClient client(step, std::move(tls), options);
  return client.Run(credential, attach_body);
}

}  // namespace drover::cli
