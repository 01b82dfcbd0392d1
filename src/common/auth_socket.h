// The local credential service (DESIGN.md, Credentials), the I/O part.
//
// AuthSocketServer listens on a Unix socket that any local user may connect to. For each
// request it takes the peer's uid, gid (SO_PEERCRED) and supplementary groups (SO_PEERGROUPS)
// from the kernel — never from the client — and answers with a signed credential for the
// payload hash the client sent. Wire format: one framed Envelope each way; the request's body
// is Body{auth}, the response carries the credential and Body{ack} (or Body{error}).
//
// FetchCredential is the blocking client side used by the CLI; AuthClient keeps one connection
// for a client that asks many times (a server answers requests in order until the client
// closes).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/credential.h"
#include "common/credential_proto.h"
#include "common/status.h"

namespace asio {
class io_context;
}
namespace drover::v1 {
class Credential;
}

namespace drover {

// What the server needs to sign: the current key, this host's name, the ttl, wall time.
struct AuthSigner {
  ClusterKey key;
  std::string host;
  uint32_t ttl_seconds = 300;
  std::function<int64_t()> now_ms;  // wall clock, Unix milliseconds
};

class AuthSocketServer {
 public:
  AuthSocketServer(asio::io_context& io, std::string path, AuthSigner signer);
  ~AuthSocketServer();
  AuthSocketServer(const AuthSocketServer&) = delete;
  AuthSocketServer& operator=(const AuthSocketServer&) = delete;

  // Creates the parent directory (0755) if missing, removes a stale socket file (one nobody
  // answers on), binds, chmods the socket 0666 and starts accepting. AlreadyExists if another
  // live process serves `path`.
  Status Start();
  // Stops accepting, closes open connections and removes the socket file if it is still ours.
  // Call from the io_context's thread, or while it is not running.
  void Stop();
  // Replaces the signing key (key rotation / SIGHUP). Safe from any thread.
  void SetSigner(AuthSigner signer);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Asks the auth socket at `path` for a credential over `payload_sha256`.
// Unavailable (with the path and a hint that the daemon must be running) if nobody answers.
Result<v1::Credential> FetchCredential(const std::string& path, const std::string& payload_sha256,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Credentials over one kept-open connection; requests may be pipelined. Not thread-safe.
class AuthClient {
 public:
  explicit AuthClient(std::string path, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~AuthClient();
  AuthClient(const AuthClient&) = delete;
  AuthClient& operator=(const AuthClient&) = delete;

  Result<v1::Credential> Fetch(const std::string& payload_sha256);
  // One credential per hash, in order, all requests sent before the first answer is read.
  Result<std::vector<v1::Credential>> FetchMany(const std::vector<std::string>& hashes);

 private:
  std::string path_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
};

}  // namespace drover
