#include "common/rpc.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <array>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <deque>
#include <map>
#include <optional>
#include <unordered_set>
#include <utility>

#include "common/envelope.h"
#include "common/frame.h"

namespace drover {
namespace {

using asio::ip::tcp;
using SslStream = asio::ssl::stream<tcp::socket>;
using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 16 * 1024;
// A client that pipelines requests without reading the answers must not make the server
// buffer responses without bound: past this many unanswered requests it stops reading.
constexpr uint64_t kMaxInFlightPerConnection = 64;
// A failing accept (out of file descriptors) keeps failing until a connection closes; retrying
// at once would spin the io_context.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

std::string FormatEndpoint(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  std::string host = addr.to_string();
  if (addr.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

std::string Millis(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

std::string CommonName(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return "";
  std::string name(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return name;
}

// Only a certificate that chained to the cluster CA names the peer; the server's verify mode
// already fails the handshake otherwise, the result check makes that independent of it.
std::string VerifiedPeerName(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return "";
  std::string name;
  if (SSL_get_verify_result(ssl) == X509_V_OK) name = CommonName(cert);
  X509_free(cert);
  return name;
}

bool IsPeerGone(const asio::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::connection_reset;
}

// An alert saying the server refused this side's certificate (TLS 1.3 reports it on the first
// read after the handshake, not in the handshake itself).
bool IsCertificateRejection(const asio::error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return false;
  const auto code = static_cast<unsigned long>(ec.value());
  if (ERR_GET_LIB(code) != ERR_LIB_SSL) return false;
  switch (ERR_GET_REASON(code)) {
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return true;
    default:
      return false;
  }
}

std::string Serialize(const v1::Envelope& envelope) {
  std::string payload;
  envelope.SerializeToString(&payload);
  return payload;
}

// ---------------------------------------------------------------------------------------------
// Server

class ServerConnection;

struct ServerCore : std::enable_shared_from_this<ServerCore> {
  ServerCore(asio::io_context& io_context, std::shared_ptr<asio::ssl::context> tls_context,
             RpcHandler rpc_handler, RpcServerOptions server_options)
      : io(io_context),
        tls(std::move(tls_context)),
        handler(std::move(rpc_handler)),
        options(server_options),
        acceptor(io_context),
        accept_retry(io_context) {}

  void Accept();
  void Stop();

  asio::io_context& io;
  std::shared_ptr<asio::ssl::context> tls;
  RpcHandler handler;
  RpcServerOptions options;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::unordered_set<std::shared_ptr<ServerConnection>> connections;
  uint16_t port = 0;
  bool stopped = false;
};

class ServerConnection : public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(tcp::socket socket, std::string address, const std::shared_ptr<ServerCore>& core)
      : stream_(std::move(socket), *core->tls),
        timer_(core->io),
        core_(core),
        options_(core->options),
        decoder_(core->options.max_frame_bytes) {
    peer_.address = std::move(address);
  }

  void Start() {
    ArmTimer(Clock::now() + options_.handshake_timeout);
    stream_.async_handshake(
        asio::ssl::stream_base::server,
        [self = shared_from_this()](const asio::error_code& ec) { self->OnHandshake(ec); });
  }

  // Closes at once; responses not yet written are dropped. An empty reason logs nothing.
  void Close(const std::string& reason, spdlog::level::level_enum level) {
    if (closed_) return;
    closed_ = true;
    if (!reason.empty()) {
      spdlog::log(level, "rpc: closing connection from {}{}: {}", peer_.address,
                  peer_.cert_name.empty() ? "" : " (" + peer_.cert_name + ")", reason);
    }
    ++timer_seq_;
    timer_.cancel();
    asio::error_code ignored;
    stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
    // The write queue stays: a pending async_write still points into its front buffer.
    ready_.clear();
    if (auto core = core_.lock()) core->connections.erase(shared_from_this());
  }

  // Answers request number `seq`; answers go out in request order.
  void Respond(uint64_t seq, uint64_t request_id, v1::Envelope response) {
    if (closed_) return;
    if (response.version() == 0) response.set_version(kProtocolVersion);
    if (response.request_id() == 0) response.set_request_id(request_id);
    ready_.emplace(seq, EncodeFrame(Serialize(response)));
    while (!ready_.empty() && ready_.begin()->first == next_write_seq_) {
      write_queue_.push_back(std::move(ready_.begin()->second));
      ready_.erase(ready_.begin());
      ++next_write_seq_;
    }
    Write();
    Read();  // in case reading paused at the in-flight limit
  }

 private:
  // Holds the right to answer one request. Dropped unanswered (a handler bug), it answers
  // with an error itself: answers go out in order, so one missing answer would otherwise
  // stall every later answer on the connection.
  struct Slot {
    Slot(std::weak_ptr<ServerConnection> c, uint64_t s, uint64_t id)
        : conn(std::move(c)), seq(s), request_id(id) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() {
      if (answered) return;
      if (auto c = conn.lock(); c && !c->closed_) {
        spdlog::error("rpc: handler dropped request {} from {} without answering", request_id,
                      c->peer_.address);
        v1::Envelope request;
        request.set_request_id(request_id);
        c->Respond(seq, request_id,
                   MakeErrorReply(request, Status::Internal("the server dropped the request")));
      }
    }
    std::weak_ptr<ServerConnection> conn;
    uint64_t seq;
    uint64_t request_id;
    bool answered = false;
  };

  uint64_t InFlight() const { return next_seq_ - next_write_seq_; }
  bool Busy() const { return InFlight() > 0 || writing_ || !write_queue_.empty(); }

  // One timer serves the handshake deadline and then the idle deadline; `timer_seq_` makes a
  // completion that was already queued when the timer was re-armed harmless.
  void ArmTimer(Clock::time_point at) {
    const uint64_t seq = ++timer_seq_;
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this(), seq](const asio::error_code& ec) {
      if (ec || seq != self->timer_seq_ || self->closed_) return;
      self->OnTimer();
    });
  }

  void OnTimer() {
    if (!handshaken_) {
      Close("TLS handshake not done within " + Millis(options_.handshake_timeout),
            spdlog::level::warn);
      return;
    }
    const auto now = Clock::now();
    // A handler still working on a request is not the peer idling.
    if (Busy()) {
      idle_deadline_ = now + options_.idle_timeout;
    } else if (now >= idle_deadline_) {
      Close("idle for " + Millis(options_.idle_timeout), spdlog::level::info);
      return;
    }
    ArmTimer(idle_deadline_);
  }

  void OnHandshake(const asio::error_code& ec) {
    if (closed_) return;
    if (ec) {
      if (IsPeerGone(ec)) {
        Close("peer went away during the TLS handshake", spdlog::level::info);
        return;
      }
      std::string reason = ec.message();
      const long verify = SSL_get_verify_result(stream_.native_handle());
      if (verify != X509_V_OK) {
        reason +=
            std::string(" (client certificate: ") + X509_verify_cert_error_string(verify) + ")";
      }
      ERR_clear_error();
      Close("TLS handshake failed: " + reason, spdlog::level::warn);
      return;
    }
    handshaken_ = true;
    peer_.cert_name = VerifiedPeerName(stream_.native_handle());
    idle_deadline_ = Clock::now() + options_.idle_timeout;
    ArmTimer(idle_deadline_);
    Read();
  }

  void Read() {
    if (closed_ || reading_ || !handshaken_ || close_after_flush_) return;
    if (InFlight() >= kMaxInFlightPerConnection) return;  // Respond() resumes
    reading_ = true;
    stream_.async_read_some(
        asio::buffer(read_buf_),
        [self = shared_from_this()](const asio::error_code& ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(const asio::error_code& ec, size_t n) {
    reading_ = false;
    if (closed_) return;
    if (ec) {
      if (IsPeerGone(ec)) {
        Close("", spdlog::level::debug);
      } else {
        Close("read failed: " + ec.message(), spdlog::level::info);
      }
      return;
    }
    decoder_.Feed(std::string_view(read_buf_.data(), n));
    while (!closed_ && !close_after_flush_) {
      auto next = decoder_.Next();
      if (!next.ok()) {
        Close(next.status().message(), spdlog::level::warn);
        return;
      }
      if (!next->has_value()) break;
      idle_deadline_ = Clock::now() + options_.idle_timeout;
      HandleFrame(std::move(**next));
    }
    Read();
  }

  void HandleFrame(std::string payload) {
    const uint64_t seq = next_seq_++;
    v1::Envelope request;
    if (!request.ParseFromString(payload)) {
      spdlog::warn("rpc: closing connection from {}: malformed envelope ({} bytes)", peer_.address,
                   payload.size());
      close_after_flush_ = true;
      Respond(seq, 0,
              MakeErrorReply(v1::Envelope(), Status::InvalidArgument("malformed envelope")));
      return;
    }
    if (request.version() != kProtocolVersion) {
      Respond(seq, request.request_id(),
              MakeErrorReply(request, Status::Unsupported("protocol version " +
                                                          std::to_string(request.version()) +
                                                          " not supported, this daemon speaks " +
                                                          std::to_string(kProtocolVersion))));
      return;
    }
    auto core = core_.lock();
    if (!core || core->stopped) {
      Close("server stopped", spdlog::level::debug);
      return;
    }
    auto slot = std::make_shared<Slot>(weak_from_this(), seq, request.request_id());
    RpcResponder respond = [slot](v1::Envelope response) {
      if (slot->answered) {
        spdlog::error("rpc: handler answered request {} twice; the second answer is dropped",
                      slot->request_id);
        return;
      }
      slot->answered = true;
      if (auto c = slot->conn.lock()) c->Respond(slot->seq, slot->request_id, std::move(response));
    };
    core->handler(peer_, std::move(request), std::move(respond));
  }

  void Write() {
    if (closed_ || writing_) return;
    if (write_queue_.empty()) {
      if (close_after_flush_ && InFlight() == 0) Close("", spdlog::level::debug);
      return;
    }
    // Answers that queued meanwhile (a group commit answers many pipelined submissions at
    // once) go out together: one TLS record and one send instead of one each.
    if (write_queue_.size() > 1) {
      size_t total = 0;
      for (const auto& frame : write_queue_) total += frame.size();
      std::string all;
      all.reserve(total);
      for (const auto& frame : write_queue_) all += frame;
      write_queue_.clear();
      write_queue_.push_back(std::move(all));
    }
    writing_ = true;
    asio::async_write(stream_, asio::buffer(write_queue_.front()),
                      [self = shared_from_this()](const asio::error_code& ec, size_t) {
                        self->writing_ = false;
                        if (self->closed_) return;
                        if (ec) {
                          self->Close("write failed: " + ec.message(), spdlog::level::info);
                          return;
                        }
                        self->write_queue_.pop_front();
                        if (!self->Busy()) {
                          self->idle_deadline_ = Clock::now() + self->options_.idle_timeout;
                        }
                        self->Write();
                      });
  }

  SslStream stream_;
  asio::steady_timer timer_;
  std::weak_ptr<ServerCore> core_;
  const RpcServerOptions options_;
  FrameDecoder decoder_;
  PeerInfo peer_;
  std::array<char, kReadChunk> read_buf_;
  Clock::time_point idle_deadline_;
  uint64_t timer_seq_ = 0;
  uint64_t next_seq_ = 0;                  // sequence number of the next request read
  uint64_t next_write_seq_ = 0;            // sequence number of the next answer to write
  std::map<uint64_t, std::string> ready_;  // answers that wait for an earlier one
  std::deque<std::string> write_queue_;
  bool handshaken_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
};

void ServerCore::Accept() {
  acceptor.async_accept([self = shared_from_this()](const asio::error_code& ec,
                                                    tcp::socket socket) {
    if (self->stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      spdlog::warn("rpc: accept failed: {}; retrying", ec.message());
      self->accept_retry.expires_after(kAcceptRetryDelay);
      self->accept_retry.async_wait([self](const asio::error_code& wait_ec) {
        if (!wait_ec && !self->stopped) self->Accept();
      });
      return;
    }
    asio::error_code endpoint_ec;
    const auto remote = socket.remote_endpoint(endpoint_ec);
    const std::string address = endpoint_ec ? std::string("unknown peer") : FormatEndpoint(remote);
    if (self->connections.size() >= self->options.max_connections) {
      spdlog::warn("rpc: closing connection from {}: {} connections open (max_connections)",
                   address, self->connections.size());
      asio::error_code ignored;
      socket.close(ignored);
    } else {
      asio::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto conn = std::make_shared<ServerConnection>(std::move(socket), address, self);
      self->connections.insert(conn);
      conn->Start();
    }
    self->Accept();
  });
}

void ServerCore::Stop() {
  stopped = true;
  asio::error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  // Close() erases from the set, so close from a copy.
  auto open = std::move(connections);
  connections.clear();
  for (const auto& conn : open) conn->Close("server stopping", spdlog::level::debug);
}

// ---------------------------------------------------------------------------------------------
// Client

// One TCP+TLS connection. Every asynchronous operation holds it, so the stream outlives the
// operations even after the client has moved on to a new connection.
struct ClientConnection {
  ClientConnection(asio::io_context& io, asio::ssl::context& tls, uint32_t max_frame_bytes)
      : stream(io, tls), decoder(max_frame_bytes) {}
  SslStream stream;
  FrameDecoder decoder;
  std::array<char, kReadChunk> read_buf;
  std::string out;
};

class RpcClientImpl final : public RpcClient {
 public:
  RpcClientImpl(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls, std::string host,
                uint16_t port, std::string peer_name, RpcClientOptions options)
      : io_(io),
        tls_(std::move(tls)),
        host_(std::move(host)),
        port_(port),
        peer_name_(std::move(peer_name)),
        options_(options),
        where_(host_ + ":" + std::to_string(port_)),
        resolver_(io),
        timer_(io) {}

  ~RpcClientImpl() override {
    DropConnection();
    PostFailures(Status::Unavailable("rpc client for " + where_ + " destroyed"));
  }

  void Call(v1::Envelope request, Callback done) override {
    if (request.request_id() == 0) request.set_request_id(next_request_id_++);
    if (request.version() == 0) request.set_version(kProtocolVersion);
    queue_.push_back(PendingCall{std::move(request), std::move(done)});
    Pump();
  }

  void Close() override {
    DropConnection();
    PostFailures(Status::Unavailable("rpc client for " + where_ + " closed"));
  }

 private:
  enum class State { kDisconnected, kConnecting, kConnected };
  enum class Deadline { kConnect, kCall };

  struct PendingCall {
    v1::Envelope request;
    Callback done;
  };

  std::weak_ptr<RpcClientImpl> Weak() {
    return std::static_pointer_cast<RpcClientImpl>(shared_from_this());
  }

  void Pump() {
    if (in_call_ || queue_.empty()) return;
    switch (state_) {
      case State::kDisconnected:
        Connect();
        return;
      case State::kConnecting:
        return;
      case State::kConnected:
        SendFront();
        return;
    }
  }

  void Connect() {
    if (peer_name_.empty()) {
      PostFailures(Status::InvalidArgument("rpc client for " + where_ +
                                           ": no server name to verify the certificate against"));
      return;
    }
    state_ = State::kConnecting;
    auto conn = std::make_shared<ClientConnection>(io_, *tls_, options_.max_frame_bytes);
    conn_ = conn;
    ArmTimer(options_.connect_timeout, Deadline::kConnect);
    // A numeric address needs no resolver: asio resolves on a thread of its own, which a
    // short-lived CLI process would start (and wait for) only to parse "127.0.0.1".
    asio::error_code not_numeric;
    const auto ip = asio::ip::make_address(host_, not_numeric);
    if (!not_numeric) {
      conn->stream.lowest_layer().async_connect(
          tcp::endpoint(ip, port_), [weak = Weak(), conn](const asio::error_code& connect_ec) {
            auto self = weak.lock();
            if (!self || conn != self->conn_) return;
            self->OnConnected(conn, connect_ec);
          });
      return;
    }
    resolver_.async_resolve(host_, std::to_string(port_),
                            [weak = Weak(), conn](const asio::error_code& ec,
                                                  const tcp::resolver::results_type& results) {
                              auto self = weak.lock();
                              if (!self || conn != self->conn_) return;
                              if (ec) {
                                self->ConnectFailed(Status::Unavailable(
                                    "cannot resolve " + self->where_ + ": " + ec.message()));
                                return;
                              }
                              asio::async_connect(conn->stream.lowest_layer(), results,
                                                  [weak, conn](const asio::error_code& connect_ec,
                                                               const tcp::endpoint&) {
                                                    auto self = weak.lock();
                                                    if (!self || conn != self->conn_) return;
                                                    self->OnConnected(conn, connect_ec);
                                                  });
                            });
  }

  void OnConnected(const std::shared_ptr<ClientConnection>& conn, const asio::error_code& ec) {
    if (ec) {
      ConnectFailed(Status::Unavailable("cannot connect to " + where_ + ": " + ec.message()));
      return;
    }
    asio::error_code ignored;
    conn->stream.lowest_layer().set_option(tcp::no_delay(true), ignored);
    SSL* ssl = conn->stream.native_handle();
    // OpenSSL's own name check (rather than a verify callback) leaves a distinct verify result
    // for a name mismatch, so the error can say which check failed. The name must be a DNS SAN.
    SSL_set_hostflags(ssl,
                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    if (SSL_set1_host(ssl, peer_name_.c_str()) != 1 ||
        SSL_set_tlsext_host_name(ssl, peer_name_.c_str()) != 1) {
      ERR_clear_error();
      ConnectFailed(Status::InvalidArgument("cannot use '" + peer_name_ +
                                            "' as the server name for " + where_));
      return;
    }
    conn->stream.set_verify_mode(asio::ssl::verify_peer, ignored);
    conn->stream.async_handshake(asio::ssl::stream_base::client,
                                 [weak = Weak(), conn](const asio::error_code& handshake_ec) {
                                   auto self = weak.lock();
                                   if (!self || conn != self->conn_) return;
                                   self->OnHandshake(conn, handshake_ec);
                                 });
  }

  void OnHandshake(const std::shared_ptr<ClientConnection>& conn, const asio::error_code& ec) {
    if (ec) {
      const long verify = SSL_get_verify_result(conn->stream.native_handle());
      ERR_clear_error();
      if (verify == X509_V_ERR_HOSTNAME_MISMATCH) {
        ConnectFailed(
            Status::Unauthenticated("the certificate of the server at " + where_ +
                                    " did not verify against the cluster CA for the name '" +
                                    peer_name_ + "': it was issued to another host"));
      } else if (verify != X509_V_OK) {
        ConnectFailed(Status::Unauthenticated(
            "the certificate of the server at " + where_ +
            " did not verify against the cluster CA: " + X509_verify_cert_error_string(verify)));
      } else if (IsPeerGone(ec)) {
        ConnectFailed(Status::Unavailable("the server at " + where_ +
                                          " closed the connection during the TLS handshake"));
      } else {
        ConnectFailed(
            Status::Unavailable("TLS handshake with " + where_ + " failed: " + ec.message()));
      }
      return;
    }
    DisarmTimer();
    state_ = State::kConnected;
    Read(conn);
    Pump();
  }

  void SendFront() {
    auto conn = conn_;
    PendingCall& call = queue_.front();
    std::string payload = Serialize(call.request);
    if (payload.size() > options_.max_frame_bytes) {
      // Posted: this may run inside Call(), and the server would only drop the connection.
      Status status = Status::InvalidArgument("request of " + std::to_string(payload.size()) +
                                              " bytes exceeds the frame limit of " +
                                              std::to_string(options_.max_frame_bytes) + " bytes");
      asio::post(io_, [done = std::move(call.done), status] { done(status); });
      queue_.pop_front();
      Pump();
      return;
    }
    in_call_ = true;
    conn->out = EncodeFrame(payload);
    ArmTimer(options_.call_timeout, Deadline::kCall);
    asio::async_write(conn->stream, asio::buffer(conn->out),
                      [weak = Weak(), conn](const asio::error_code& ec, size_t) {
                        auto self = weak.lock();
                        if (!self || conn != self->conn_ || !ec) return;
                        self->ConnectionLost(Status::Unavailable("cannot send to " + self->where_ +
                                                                 ": " + ec.message()));
                      });
  }

  // Reads for as long as the connection is open, so a server that closes an idle connection
  // is noticed before the next call is written into it.
  void Read(const std::shared_ptr<ClientConnection>& conn) {
    conn->stream.async_read_some(
        asio::buffer(conn->read_buf), [weak = Weak(), conn](const asio::error_code& ec, size_t n) {
          auto self = weak.lock();
          if (!self || conn != self->conn_) return;
          if (ec) {
            self->OnReadError(ec);
            return;
          }
          conn->decoder.Feed(std::string_view(conn->read_buf.data(), n));
          for (;;) {
            auto next = conn->decoder.Next();
            if (!next.ok()) {
              self->ConnectionLost(Status::Unavailable("response from " + self->where_ + ": " +
                                                       next.status().message()));
              return;
            }
            if (!next->has_value()) break;
            self->OnFrame(std::move(**next));
            if (conn != self->conn_) return;
          }
          self->Read(conn);
        });
  }

  void OnReadError(const asio::error_code& ec) {
    Status status;
    if (IsCertificateRejection(ec)) {
      status = Status::Unauthenticated("the server at " + where_ +
                                       " rejected this host's certificate: " + ec.message());
    } else if (IsPeerGone(ec)) {
      status = Status::Unavailable("the server at " + where_ + " closed the connection");
    } else {
      status = Status::Unavailable("connection to " + where_ + " failed: " + ec.message());
    }
    ERR_clear_error();
    if (!in_call_) spdlog::debug("rpc: idle connection to {} ended: {}", where_, status.message());
    ConnectionLost(status);
  }

  void OnFrame(std::string payload) {
    v1::Envelope response;
    if (!response.ParseFromString(payload)) {
      ConnectionLost(Status::Unavailable("malformed response from " + where_));
      return;
    }
    if (!in_call_) {
      spdlog::warn("rpc: unsolicited message from {}; reconnecting", where_);
      DropConnection();
      Pump();
      return;
    }
    const uint64_t expected = queue_.front().request.request_id();
    // 0 is how a server answers a request it could not read at all.
    if (response.request_id() != expected && response.request_id() != 0) {
      ConnectionLost(Status::Unavailable("response from " + where_ + " answers request " +
                                         std::to_string(response.request_id()) + ", expected " +
                                         std::to_string(expected)));
      return;
    }
    DisarmTimer();
    Finish(std::move(response));
  }

  void ArmTimer(std::chrono::milliseconds after, Deadline which) {
    const uint64_t seq = ++timer_seq_;
    timer_.expires_after(after);
    timer_.async_wait([weak = Weak(), seq, which](const asio::error_code& ec) {
      auto self = weak.lock();
      if (!self || ec || seq != self->timer_seq_) return;
      self->OnDeadline(which);
    });
  }

  void DisarmTimer() {
    ++timer_seq_;
    timer_.cancel();
  }

  void OnDeadline(Deadline which) {
    if (which == Deadline::kConnect) {
      ConnectFailed(Status::Unavailable("cannot connect to " + where_ +
                                        ": no TLS connection within " +
                                        Millis(options_.connect_timeout)));
    } else {
      // The answer may still come; a fresh connection keeps it from being taken for the
      // answer to the next call.
      ConnectionLost(Status::Timeout("no response from " + where_ + " within " +
                                     Millis(options_.call_timeout)));
    }
  }

  void DropConnection() {
    DisarmTimer();
    resolver_.cancel();
    if (conn_) {
      asio::error_code ignored;
      conn_->stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
      conn_->stream.lowest_layer().close(ignored);
      conn_.reset();
    }
    state_ = State::kDisconnected;
    in_call_ = false;
  }

  // The connection could not be made: every queued call would meet the same fate.
  void ConnectFailed(const Status& status) {
    DropConnection();
    FailAll(status);
  }

  // The connection broke: the call on the wire fails; calls not yet sent go on a new one.
  void ConnectionLost(const Status& status) {
    const bool had_call = in_call_;
    DropConnection();
    if (had_call) {
      Finish(status);
    } else {
      Pump();
    }
  }

  // Completes the front call. The callback may call Call() again, so state is settled first.
  void Finish(Result<v1::Envelope> result) {
    PendingCall call = std::move(queue_.front());
    queue_.pop_front();
    in_call_ = false;
    call.done(std::move(result));
    Pump();
  }

  void FailAll(const Status& status) {
    auto calls = std::move(queue_);
    queue_.clear();
    for (auto& call : calls) call.done(status);
  }

  // For Call(), Close() and the destructor: callbacks must not run inside the caller's frame.
  void PostFailures(const Status& status) {
    auto calls = std::move(queue_);
    queue_.clear();
    for (auto& call : calls) {
      asio::post(io_, [done = std::move(call.done), status] { done(status); });
    }
  }

  asio::io_context& io_;
  std::shared_ptr<asio::ssl::context> tls_;
  const std::string host_;
  const uint16_t port_;
  const std::string peer_name_;
  const RpcClientOptions options_;
  const std::string where_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::shared_ptr<ClientConnection> conn_;
  State state_ = State::kDisconnected;
  bool in_call_ = false;  // the front of queue_ has been sent and awaits its answer
  std::deque<PendingCall> queue_;
  uint64_t next_request_id_ = 1;
  uint64_t timer_seq_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

struct RpcServer::Impl {
  std::shared_ptr<ServerCore> core;
};

RpcServer::RpcServer(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                     RpcHandler handler, RpcServerOptions options)
    : impl_(std::make_shared<Impl>()) {
  impl_->core = std::make_shared<ServerCore>(io, std::move(tls), std::move(handler), options);
}

RpcServer::~RpcServer() { Stop(); }

Status RpcServer::Listen(const std::string& address, uint16_t port) {
  ServerCore& core = *impl_->core;
  const std::string where = address + ":" + std::to_string(port);
  asio::error_code ec;
  tcp::endpoint endpoint;
  const auto ip = asio::ip::make_address(address, ec);
  if (!ec) {
    endpoint = tcp::endpoint(ip, port);
  } else {
    tcp::resolver resolver(core.io);
    auto results = resolver.resolve(address, std::to_string(port), ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument("cannot listen on " + where + ": cannot resolve '" + address +
                                     "'" + (ec ? ": " + ec.message() : ""));
    }
    endpoint = results.begin()->endpoint();
  }
  core.acceptor.open(endpoint.protocol(), ec);
  if (!ec) core.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) core.acceptor.bind(endpoint, ec);
  if (!ec) core.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    asio::error_code ignored;
    core.acceptor.close(ignored);
    return Status::Unavailable("cannot listen on " + where + ": " + ec.message());
  }
  core.port = core.acceptor.local_endpoint(ec).port();
  core.stopped = false;
  core.Accept();
  return Status::Ok();
}

uint16_t RpcServer::port() const { return impl_->core->port; }

void RpcServer::Stop() { impl_->core->Stop(); }

std::shared_ptr<RpcClient> RpcClient::Create(asio::io_context& io,
                                             std::shared_ptr<asio::ssl::context> tls,
                                             std::string host, uint16_t port, std::string peer_name,
                                             RpcClientOptions options) {
  return std::make_shared<RpcClientImpl>(io, std::move(tls), std::move(host), port,
                                         std::move(peer_name), options);
}

struct BlockingRpcClient::Impl {
  asio::io_context io;
  std::shared_ptr<RpcClient> client;
};

BlockingRpcClient::BlockingRpcClient(std::shared_ptr<asio::ssl::context> tls, std::string host,
                                     uint16_t port, std::string peer_name, RpcClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->client = RpcClient::Create(impl_->io, std::move(tls), std::move(host), port,
                                    std::move(peer_name), options);
}

BlockingRpcClient::~BlockingRpcClient() {
  impl_->client->Close();
  impl_->client.reset();
  // Lets the cancelled operations finish so they release the connection before io goes away.
  impl_->io.restart();
  impl_->io.poll();
}

Result<v1::Envelope> BlockingRpcClient::Call(v1::Envelope request) {
  std::optional<Result<v1::Envelope>> result;
  // Between calls nothing runs the io_context, so a close by the server (idle timeout) is
  // still unread; handling it first makes the call go over a fresh connection instead of
  // failing on the dead one.
  impl_->io.restart();
  impl_->io.poll();
  impl_->io.restart();
  impl_->client->Call(std::move(request),
                      [&result](Result<v1::Envelope> r) { result.emplace(std::move(r)); });
  // run() would not return: the client keeps a read pending on its open connection.
  while (!result) {
    if (impl_->io.run_one() == 0) break;
  }
  if (!result) return Status::Internal("rpc: the client stopped without completing the call");
  return std::move(*result);
}

}  // namespace drover
