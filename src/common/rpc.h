// Framed protobuf RPC over TLS 1.3 with asio: one Envelope per frame (frame.h), request and
// response matched by request_id. Used by both daemons (server and client) and by the CLI
// (blocking client).
//
// Threading: a RpcServer and every RpcClient run on the io_context they are given; their
// callbacks run on that io_context's thread(s). Run the io_context from one thread and the
// handler needs no locks (that is how ctld keeps its state single-threaded).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace asio

namespace drover::v1 {
class Envelope;
}

namespace drover {

struct PeerInfo {
  std::string address;    // "127.0.0.1:43210"
  std::string cert_name;  // verified certificate CN; empty when the client sent none
};

struct RpcServerOptions {
  uint32_t max_frame_bytes = 16u << 20;
  std::chrono::milliseconds idle_timeout{300'000};     // no complete frame for this long: close
  std::chrono::milliseconds handshake_timeout{10'000};
  uint32_t max_connections = 1024;                     // excess connections are closed at once
};

// A handler receives each well-formed request Envelope and must call `respond` exactly once,
// now or later (from the io_context thread). Frames that do not parse as an Envelope, or with
// an unknown protocol version, are answered with an Error body by the server itself and never
// reach the handler.
using RpcResponder = std::function<void(v1::Envelope response)>;
using RpcHandler =
    std::function<void(const PeerInfo& peer, v1::Envelope request, RpcResponder respond)>;

class RpcServer {
 public:
  RpcServer(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls, RpcHandler handler,
            RpcServerOptions options = {});
  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Binds and starts accepting. port 0 picks a free port (see port()).
  Status Listen(const std::string& address, uint16_t port);
  uint16_t port() const;
  // Stops accepting and closes every connection.
  void Stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

struct RpcClientOptions {
  uint32_t max_frame_bytes = 16u << 20;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds call_timeout{30'000};
};

// An asynchronous client over one kept-open connection that it (re)opens on demand.
// Calls are sent in order; each completes with the response or an error Status (Unavailable
// for connection trouble, Timeout, Unauthenticated when the server's certificate or name does
// not verify). After a connection error the next Call reconnects.
class RpcClient : public std::enable_shared_from_this<RpcClient> {
 public:
  using Callback = std::function<void(Result<v1::Envelope>)>;

  // `peer_name` is the name the server's certificate must carry.
  static std::shared_ptr<RpcClient> Create(asio::io_context& io,
                                           std::shared_ptr<asio::ssl::context> tls,
                                           std::string host, uint16_t port,
                                           std::string peer_name, RpcClientOptions options = {});
  virtual ~RpcClient() = default;

  // Assigns request_id if it is 0 and sets version if 0.
  virtual void Call(v1::Envelope request, Callback done) = 0;
  virtual void Close() = 0;
};

// A blocking client with its own io_context, for the CLI and tests. Not thread-safe.
class BlockingRpcClient {
 public:
  BlockingRpcClient(std::shared_ptr<asio::ssl::context> tls, std::string host, uint16_t port,
                    std::string peer_name, RpcClientOptions options = {});
  ~BlockingRpcClient();
  Result<v1::Envelope> Call(v1::Envelope request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace drover
