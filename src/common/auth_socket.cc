#include "common/auth_socket.h"

#include <openssl/rand.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <asio.hpp>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "common/envelope.h"
#include "common/frame.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59  // Linux >= 4.13; older libc headers lack the name.
#endif

namespace drover {
namespace {

using Stream = asio::local::stream_protocol;

// A request is a 32-byte hash in a few bytes of protobuf: anything near this is garbage, and
// a small limit keeps an unauthenticated peer from making us buffer megabytes.
constexpr uint32_t kMaxRequestBytes = 64 * 1024;
// Anyone on the host can connect; without a deadline a silent client would hold its
// connection (and file descriptor) forever.
constexpr std::chrono::seconds kRequestTimeout(5);
constexpr size_t kNonceBytes = 16;
constexpr size_t kSha256Bytes = 32;

std::string ErrnoText(int err) { return std::strerror(err); }

Status CheckPathFits(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Status::InvalidArgument("auth socket path " + path + " is " +
                                   std::to_string(path.size()) + " bytes long; Unix socket paths "
                                   "must be shorter than " +
                                   std::to_string(sizeof(sockaddr_un{}.sun_path)) + " bytes");
  }
  return Status::Ok();
}

sockaddr_un MakeAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// Closes the descriptor on every return path of the blocking client.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Whether a live process accepts connections on `path` right now. A refused connection means
// the file is left over from a process that died without removing it.
bool SomeoneListens(const std::string& path) {
  FdCloser fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return false;
  const sockaddr_un addr = MakeAddress(path);
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
}

Result<std::vector<uint32_t>> PeerGroups(int fd) {
  std::vector<gid_t> gids(64);
  for (int attempt = 0; attempt < 4; ++attempt) {
    socklen_t len = static_cast<socklen_t>(gids.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gids.data(), &len) == 0) {
      gids.resize(len / sizeof(gid_t));
      return std::vector<uint32_t>(gids.begin(), gids.end());
    }
    // ERANGE: the kernel wrote the length it needs; grow and ask again (the peer's groups
    // cannot change after connect, so this converges on the second try).
    if (errno != ERANGE) {
      return Status::Internal("SO_PEERGROUPS failed: " + ErrnoText(errno) +
                              " (Linux 4.13 or later is required)");
    }
    gids.resize(len / sizeof(gid_t) + 1);
  }
  return Status::Internal("SO_PEERGROUPS kept reporting a larger group list");
}

}  // namespace

struct AuthSocketServer::Impl : std::enable_shared_from_this<AuthSocketServer::Impl> {
  class Connection;

  Impl(asio::io_context& io_in, std::string path_in, AuthSigner signer_in)
      : io(io_in), path(std::move(path_in)), acceptor(io_in), signer(std::move(signer_in)) {}

  // Who is at the other end of a connection, as the kernel recorded it when the client
  // connected (SO_PEERCRED and SO_PEERGROUPS do not change for the connection's life).
  struct Peer {
    uint32_t uid = 0;
    uint32_t gid = 0;
    pid_t pid = 0;
    std::vector<uint32_t> groups;
  };
  static Result<Peer> ReadPeer(int fd);

  void Accept();
  Status Sign(const Peer& peer, const std::string& payload_sha256, v1::Credential* out);

  asio::io_context& io;
  const std::string path;
  Stream::acceptor acceptor;
  bool stopped = false;
  // Identity of the socket file we bound, so that Stop never unlinks a successor's socket.
  bool bound = false;
  dev_t bound_dev = 0;
  ino_t bound_ino = 0;
  // Touched only from the io_context's thread, like the connections themselves.
  std::vector<std::weak_ptr<Connection>> connections;

  std::mutex signer_mu;  // SetSigner may come from a signal-handling thread.
  AuthSigner signer;
};

// One client: answers requests in order for as long as it sends them (a client that submits
// many jobs keeps one connection instead of connecting for every credential), and closes after
// an error reply or when no complete request arrives within kRequestTimeout.
class AuthSocketServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Impl> server, Stream::socket socket)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        timer_(server_->io),
        decoder_(kMaxRequestBytes) {}

  void Start() {
    ArmTimer();
    Read();
  }

  void Close() {
    std::error_code ignored;
    closed_ = true;
    timer_.cancel();
    socket_.shutdown(Stream::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void ArmTimer() {
    auto self = shared_from_this();
    const uint64_t seq = ++timer_seq_;
    timer_.expires_after(kRequestTimeout);
    timer_.async_wait([self, seq](const std::error_code& ec) {
      if (ec || seq != self->timer_seq_ || self->closed_) return;
      spdlog::debug("auth socket: client sent no complete request within {} s, closing",
                    kRequestTimeout.count());
      self->Close();
    });
  }

  void Read() {
    if (closed_) return;
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [self](const std::error_code& ec, size_t n) {
      if (ec) {
        self->Close();
        return;
      }
      self->decoder_.Feed(std::string_view(self->buf_.data(), n));
      self->Drain();
    });
  }

  // Answers every complete request buffered so far with one write.
  void Drain() {
    std::string out;
    bool close_after = false;
    for (;;) {
      auto frame = decoder_.Next();
      if (!frame.ok()) {
        out += ErrorFrame(v1::Envelope(), frame.status());
        close_after = true;
        break;
      }
      if (!frame->has_value()) break;
      if (!Handle(**frame, &out)) {
        close_after = true;
        break;
      }
    }
    if (out.empty()) {
      Read();
      return;
    }
    ArmTimer();
    Send(std::move(out), close_after);
  }

  // Appends the answer to `out`; false when it is an error after which the connection closes.
  bool Handle(const std::string& frame, std::string* out) {
    v1::Envelope request;
    if (!request.ParseFromString(frame)) {
      *out += ErrorFrame(request, Status::InvalidArgument("malformed auth request envelope"));
      return false;
    }
    auto body = ParseBody(request);
    if (!body.ok()) {
      *out += ErrorFrame(request, body.status());
      return false;
    }
    if (!body->has_auth()) {
      *out += ErrorFrame(request, Status::InvalidArgument(
                                      "the auth socket only answers auth requests (is the client "
                                      "talking to the wrong socket?)"));
      return false;
    }
    const std::string& hash = body->auth().payload_sha256();
    if (hash.size() != kSha256Bytes) {
      *out += ErrorFrame(request, Status::InvalidArgument("payload_sha256 must be " +
                                                          std::to_string(kSha256Bytes) + " bytes, got " +
                                                          std::to_string(hash.size())));
      return false;
    }
    v1::Body ack;
    ack.mutable_ack();
    v1::Envelope reply = MakeReply(request, ack);
    if (!peer_) {
      auto peer = Impl::ReadPeer(socket_.native_handle());
      if (!peer.ok()) {
        spdlog::warn("auth socket: {}", peer.status().message());
        *out += ErrorFrame(request, peer.status());
        return false;
      }
      peer_ = std::move(*peer);  // read once per connection, not per credential
    }
    Status s = server_->Sign(*peer_, hash, reply.mutable_credential());
    if (!s.ok()) {
      spdlog::warn("auth socket: {}", s.message());
      *out += ErrorFrame(request, s);
      return false;
    }
    *out += EncodeFrame(reply.SerializeAsString());
    return true;
  }

  static std::string ErrorFrame(const v1::Envelope& request, const Status& status) {
    spdlog::debug("auth socket: rejecting request: {}", status.message());
    return EncodeFrame(MakeErrorReply(request, status).SerializeAsString());
  }

  void Send(std::string data, bool close_after) {
    out_ = std::move(data);
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(out_),
                      [self, close_after](const std::error_code& ec, size_t) {
                        if (ec || close_after) {
                          self->Close();
                          return;
                        }
                        self->Drain();  // requests that arrived with the last read
                      });
  }

  std::shared_ptr<Impl> server_;
  Stream::socket socket_;
  asio::steady_timer timer_;
  uint64_t timer_seq_ = 0;
  bool closed_ = false;
  std::optional<Impl::Peer> peer_;
  FrameDecoder decoder_;
  std::array<char, 4096> buf_;
  std::string out_;
};

Result<AuthSocketServer::Impl::Peer> AuthSocketServer::Impl::ReadPeer(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return Status::Internal("SO_PEERCRED failed: " + ErrnoText(errno));
  }
  auto groups = PeerGroups(fd);
  if (!groups.ok()) return groups.status();
  Peer peer;
  peer.uid = cred.uid;
  peer.gid = cred.gid;
  peer.pid = cred.pid;
  peer.groups = std::move(*groups);
  return peer;
}

Status AuthSocketServer::Impl::Sign(const Peer& peer, const std::string& payload_sha256,
                                    v1::Credential* out) {
  CredentialFields fields;
  fields.uid = peer.uid;
  fields.gid = peer.gid;
  fields.groups = peer.groups;
  fields.payload_sha256 = payload_sha256;
  fields.nonce.resize(kNonceBytes);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(fields.nonce.data()),
                 static_cast<int>(kNonceBytes)) != 1) {
    return Status::Internal("cannot draw random bytes for a credential nonce (RAND_bytes failed)");
  }
  {
    std::lock_guard<std::mutex> lock(signer_mu);
    fields.host = signer.host;
    fields.ttl_seconds = signer.ttl_seconds;
    fields.issued_at_ms =
        signer.now_ms ? signer.now_ms()
                      : std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    SignCredential(signer.key, fields);
  }
  spdlog::debug("auth socket: credential for uid {} gid {} pid {}", peer.uid, peer.gid, peer.pid);
  CredentialToProto(fields, out);
  return Status::Ok();
}

void AuthSocketServer::Impl::Accept() {
  auto self = shared_from_this();
  acceptor.async_accept([self](const std::error_code& ec, Stream::socket socket) {
    if (self->stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
      // EMFILE and friends: keep serving, the next accept may succeed once clients leave.
      spdlog::warn("auth socket {}: accept failed: {}", self->path, ec.message());
    } else {
      auto conn = std::make_shared<Connection>(self, std::move(socket));
      // Forget connections that have already finished so the list stays small.
      std::erase_if(self->connections, [](const auto& w) { return w.expired(); });
      self->connections.push_back(conn);
      conn->Start();
    }
    self->Accept();
  });
}

AuthSocketServer::AuthSocketServer(asio::io_context& io, std::string path, AuthSigner signer)
    : impl_(std::make_shared<Impl>(io, std::move(path), std::move(signer))) {}

AuthSocketServer::~AuthSocketServer() { Stop(); }

Status AuthSocketServer::Start() {
  Impl& s = *impl_;
  DROVER_RETURN_IF_ERROR(CheckPathFits(s.path));

  namespace fs = std::filesystem;
  const fs::path parent = fs::path(s.path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::exists(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) {
      return Status::IoError("cannot create directory " + parent.string() + " for the auth socket: " +
                             ec.message());
    }
    // Explicit mode: the umask must not stop users from reaching the socket inside.
    ::chmod(parent.c_str(), 0755);
  }

  struct stat st;
  if (::lstat(s.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::AlreadyExists(s.path + " exists and is not a socket; refusing to replace it");
    }
    if (SomeoneListens(s.path)) {
      return Status::AlreadyExists("another process already serves the auth socket " + s.path +
                                   " (is drover-ctld or drover-noded already running?)");
    }
    spdlog::info("auth socket: removing stale socket file {}", s.path);
    if (::unlink(s.path.c_str()) != 0 && errno != ENOENT) {
      return Status::IoError("cannot remove stale auth socket " + s.path + ": " + ErrnoText(errno));
    }
  }

  s.acceptor.open(Stream(), ec);
  if (!ec) s.acceptor.bind(Stream::endpoint(s.path), ec);
  if (ec) {
    std::error_code ignored;
    s.acceptor.close(ignored);
    return Status::IoError("cannot bind the auth socket " + s.path + ": " + ec.message());
  }
  if (::stat(s.path.c_str(), &st) == 0) {
    s.bound = true;
    s.bound_dev = st.st_dev;
    s.bound_ino = st.st_ino;
  }
  // Every local user must be able to ask who they are; identity comes from the kernel, so
  // access to the socket grants nothing by itself.
  if (::chmod(s.path.c_str(), 0666) != 0) {
    const int err = errno;
    Stop();
    return Status::IoError("cannot chmod the auth socket " + s.path + ": " + ErrnoText(err));
  }
  s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    Stop();
    return Status::IoError("cannot listen on the auth socket " + s.path + ": " + ec.message());
  }
  s.stopped = false;
  s.Accept();
  spdlog::info("auth socket: listening on {}", s.path);
  return Status::Ok();
}

void AuthSocketServer::Stop() {
  if (!impl_) return;
  Impl& s = *impl_;
  s.stopped = true;
  std::error_code ignored;
  s.acceptor.close(ignored);
  for (auto& w : s.connections) {
    if (auto conn = w.lock()) conn->Close();
  }
  s.connections.clear();
  if (s.bound) {
    struct stat st;
    if (::stat(s.path.c_str(), &st) == 0 && st.st_dev == s.bound_dev && st.st_ino == s.bound_ino) {
      ::unlink(s.path.c_str());
    }
    s.bound = false;
  }
}

void AuthSocketServer::SetSigner(AuthSigner signer) {
  std::lock_guard<std::mutex> lock(impl_->signer_mu);
  impl_->signer = std::move(signer);
}

namespace {

Status Unreachable(const std::string& path, int err) {
  return Status::Unavailable("cannot reach the drover auth socket at " + path + ": " +
                             ErrnoText(err) +
                             "; is drover-ctld or drover-noded running on this host?");
}

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > INT_MAX ? INT_MAX : static_cast<int>(left.count());
}

}  // namespace

// The blocking client side: connects, sends requests, reads answers.
namespace {

Status CheckHash(const std::string& payload_sha256) {
  if (payload_sha256.size() != kSha256Bytes) {
    return Status::InvalidArgument("payload_sha256 must be " + std::to_string(kSha256Bytes) +
                                   " bytes, got " + std::to_string(payload_sha256.size()));
  }
  return Status::Ok();
}

Result<int> ConnectAuth(const std::string& path, std::chrono::milliseconds timeout) {
  DROVER_RETURN_IF_ERROR(CheckPathFits(path));
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Internal("socket(AF_UNIX) failed: " + ErrnoText(errno));
  // For Unix sockets the send timeout also bounds connect() when the listen queue is full.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

  const sockaddr_un addr = MakeAddress(path);
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    return Unreachable(path, err);
  }
  return fd;
}

std::string EncodeAuthRequest(const std::string& payload_sha256) {
  v1::Body body;
  body.mutable_auth()->set_payload_sha256(payload_sha256);
  return EncodeFrame(MakeEnvelope(body).SerializeAsString());
}

Status SendAll(int fd, const std::string& path, const std::string& data, std::chrono::milliseconds timeout) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return Status::Timeout("the drover auth socket at " + path + " did not accept a request within " +
                               std::to_string(timeout.count()) + " ms");
      }
      return Status::Unavailable("sending to the drover auth socket at " + path +
                                 " failed: " + ErrnoText(errno));
    }
    sent += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> ReadFrame(int fd, const std::string& path, FrameDecoder& decoder,
                              std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds timeout) {
  std::array<char, 4096> buf;
  for (;;) {
    auto next = decoder.Next();
    if (!next.ok()) return next.status().WithContext("answer from the auth socket " + path);
    if (next->has_value()) return std::move(**next);
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Status::Internal("poll on the auth socket failed: " + ErrnoText(errno));
    }
    if (ready == 0) {
      return Status::Timeout("the drover auth socket at " + path + " did not answer within " +
                             std::to_string(timeout.count()) + " ms");
    }
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Status::Unavailable("reading from the drover auth socket at " + path +
                                 " failed: " + ErrnoText(errno));
    }
    if (n == 0) {
      return Status::Unavailable("the drover auth socket at " + path +
                                 " closed the connection without answering");
    }
    decoder.Feed(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
}

Result<v1::Credential> DecodeAnswer(const std::string& path, const std::string& frame) {
  v1::Envelope reply;
  if (!reply.ParseFromString(frame)) {
    return Status::Internal("malformed answer from the drover auth socket at " + path);
  }
  auto answer = BodyOrError(Result<v1::Envelope>(reply));
  if (!answer.ok()) return answer.status().WithContext("auth socket " + path);
  if (!answer->has_ack() || !reply.has_credential()) {
    return Status::Internal("the drover auth socket at " + path +
                            " answered without a credential (a different drover version?)");
  }
  return reply.credential();
}

}  // namespace

Result<v1::Credential> FetchCredential(const std::string& path, const std::string& payload_sha256,
                                       std::chrono::milliseconds timeout) {
  DROVER_RETURN_IF_ERROR(CheckHash(payload_sha256));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto fd = ConnectAuth(path, timeout);
  if (!fd.ok()) return fd.status();
  FdCloser closer(*fd);
  DROVER_RETURN_IF_ERROR(SendAll(*fd, path, EncodeAuthRequest(payload_sha256), timeout));
  FrameDecoder decoder(kMaxRequestBytes);
  auto frame = ReadFrame(*fd, path, decoder, deadline, timeout);
  if (!frame.ok()) return frame.status();
  return DecodeAnswer(path, *frame);
}

AuthClient::AuthClient(std::string path, std::chrono::milliseconds timeout)
    : path_(std::move(path)), timeout_(timeout) {}

AuthClient::~AuthClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::vector<v1::Credential>> AuthClient::FetchMany(const std::vector<std::string>& hashes) {
  std::string requests;
  for (const auto& h : hashes) {
    DROVER_RETURN_IF_ERROR(CheckHash(h));
    requests += EncodeAuthRequest(h);
  }
  // A kept connection may have been closed by the server (idle timeout, restart): one retry
  // on a fresh connection, and only if nothing was answered on the old one.
  for (int attempt = 0;; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) {
      auto fd = ConnectAuth(path_, timeout_);
      if (!fd.ok()) return fd.status();
      fd_ = *fd;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    FrameDecoder decoder(kMaxRequestBytes);
    Status s = SendAll(fd_, path_, requests, timeout_);
    std::vector<v1::Credential> out;
    while (s.ok() && out.size() < hashes.size()) {
      auto frame = ReadFrame(fd_, path_, decoder, deadline, timeout_);
      if (!frame.ok()) {
        s = frame.status();
        break;
      }
      auto cred = DecodeAnswer(path_, *frame);
      if (!cred.ok()) {
        s = cred.status();
        break;
      }
      out.push_back(std::move(*cred));
    }
    if (s.ok()) return out;
    ::close(fd_);
    fd_ = -1;
    if (!reused || !out.empty() || attempt > 0 || s.code() != StatusCode::kUnavailable) return s;
  }
}

Result<v1::Credential> AuthClient::Fetch(const std::string& payload_sha256) {
  auto many = FetchMany({payload_sha256});
  if (!many.ok()) return many.status();
  return std::move(many->front());
}

}  // namespace drover
