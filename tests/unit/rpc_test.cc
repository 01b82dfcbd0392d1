#include "common/rpc.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <asio.hpp>
#include <atomic>
#include <condition_variable>
#include <asio/ssl.hpp>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/envelope.h"
#include "common/frame.h"
#include "common/keygen.h"
#include "common/tls.h"

namespace drover {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

// Bounds every wait on the server thread, so a bug fails the test instead of hanging it.
constexpr auto kWaitLimit = 20s;

std::string MakeKeys(const std::vector<std::string>& hosts) {
  char tmpl[] = "/tmp/drover-rpc-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return "";
  KeygenOptions options;
  options.dir = tmpl;
  options.hosts = hosts;
  auto report = GenerateClusterKeys(options);
  EXPECT_TRUE(report.ok()) << report.status().message();
  return tmpl;
}

std::shared_ptr<asio::ssl::context> Unwrap(Result<std::shared_ptr<asio::ssl::context>> ctx) {
  EXPECT_TRUE(ctx.ok()) << ctx.status().message();
  return ctx.ok() ? *ctx : nullptr;
}

v1::Envelope AckRequest() {
  v1::Body body;
  body.mutable_ack();
  return MakeEnvelope(body);
}

v1::Envelope AckReply(const v1::Envelope& request) {
  v1::Body body;
  body.mutable_ack();
  return MakeReply(request, body);
}

bool IsAck(const Result<v1::Envelope>& response) {
  auto body = BodyOrError(response);
  return body.ok() && body->has_ack();
}

// A hand-driven TLS (or plain TCP) client, to send what RpcClient never would.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec_);
  }
  RawClient(uint16_t port, asio::ssl::context& tls) : socket_(io_) {
    tls_.emplace(io_, tls);
    tls_->lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec_);
    if (ec_) return;
    SSL_set1_host(tls_->native_handle(), "node3");
    tls_->set_verify_mode(asio::ssl::verify_peer);
    tls_->handshake(asio::ssl::stream_base::client, ec_);
  }

  const asio::error_code& error() const { return ec_; }

  asio::error_code Write(const std::string& bytes) {
    asio::error_code ec;
    if (tls_) {
      asio::write(*tls_, asio::buffer(bytes), ec);
    } else {
      asio::write(socket_, asio::buffer(bytes), ec);
    }
    return ec;
  }

  // The next whole frame as an Envelope, or nullopt once the connection has ended.
  std::optional<v1::Envelope> ReadEnvelope() {
    for (;;) {
      auto next = decoder_.Next();
      if (!next.ok()) return std::nullopt;
      if (next->has_value()) {
        v1::Envelope envelope;
        if (!envelope.ParseFromString(**next)) return std::nullopt;
        return envelope;
      }
      std::string chunk;
      if (!ReadSome(chunk)) return std::nullopt;
      decoder_.Feed(chunk);
    }
  }

  // Reads until the server ends the connection; false if it sent a whole frame meanwhile.
  bool ReadUntilClosed() {
    std::string chunk;
    while (ReadSome(chunk)) decoder_.Feed(chunk);
    auto next = decoder_.Next();
    return !next.ok() || !next->has_value();
  }

  void Close() {
    asio::error_code ignored;
    socket_.close(ignored);
    if (tls_) tls_->lowest_layer().close(ignored);
  }

 private:
  bool ReadSome(std::string& out) {
    char buf[4096];
    asio::error_code ec;
    size_t n =
        tls_ ? tls_->read_some(asio::buffer(buf), ec) : socket_.read_some(asio::buffer(buf), ec);
    if (ec) return false;
    out.assign(buf, n);
    return true;
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::optional<asio::ssl::stream<tcp::socket>> tls_;
  asio::error_code ec_;
  FrameDecoder decoder_;
};

class RpcTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new std::string(MakeKeys({"node1", "node3"}));
    other_keys_ = new std::string(MakeKeys({"node1", "node3"}));
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove_all(*keys_, ec);
    std::filesystem::remove_all(*other_keys_, ec);
    delete keys_;
    delete other_keys_;
  }

  static std::string Tls(const std::string& dir, const std::string& file) {
    return dir + "/tls/" + file;
  }

  void TearDown() override { StopServer(); }

  void StartServer(RpcHandler handler, RpcServerOptions options = {}) {
    auto tls = Unwrap(MakeServerTlsContext(
        {Tls(*keys_, "ca.crt"), Tls(*keys_, "node3.crt"), Tls(*keys_, "node3.key")}));
    ASSERT_TRUE(tls);
    server_ = std::make_unique<RpcServer>(io_, tls, std::move(handler), options);
    Status listening = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(listening.ok()) << listening.message();
    ASSERT_NE(server_->port(), 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  void StopServer() {
    if (thread_.joinable()) {
      asio::post(io_, [this] {
        server_->Stop();
        io_.stop();
      });
      thread_.join();
    }
    server_.reset();
  }

  // Runs `fn` on the server's thread and waits for it.
  void OnServerThread(std::function<void()> fn) {
    std::promise<void> done;
    asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(kWaitLimit), std::future_status::ready);
  }

  // Answers every request with an Ack and records who asked.
  RpcHandler AckHandler() {
    return [this](const PeerInfo& peer, v1::Envelope request, RpcResponder respond) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        peers_.push_back(peer);
      }
      respond(AckReply(request));
    };
  }

  std::vector<PeerInfo> Peers() {
    std::lock_guard<std::mutex> lock(mu_);
    return peers_;
  }

  std::shared_ptr<asio::ssl::context> UserTls() {
    return Unwrap(MakeClientTlsContext({Tls(*keys_, "ca.crt"), "", ""}));
  }
  std::shared_ptr<asio::ssl::context> Node1Tls() {
    return Unwrap(MakeClientTlsContext(
        {Tls(*keys_, "ca.crt"), Tls(*keys_, "node1.crt"), Tls(*keys_, "node1.key")}));
  }

  BlockingRpcClient UserClient(std::string peer_name = "node3") {
    return BlockingRpcClient(UserTls(), "127.0.0.1", server_->port(), std::move(peer_name));
  }

  static std::string* keys_;
  static std::string* other_keys_;

  asio::io_context io_;
  std::unique_ptr<RpcServer> server_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<PeerInfo> peers_;
};

std::string* RpcTest::keys_ = nullptr;
std::string* RpcTest::other_keys_ = nullptr;

TEST_F(RpcTest, RoundTripWithoutClientCertificate) {
  StartServer(AckHandler());
  auto client = UserClient();
  auto response = client.Call(AckRequest());
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_TRUE(IsAck(response));
  EXPECT_EQ(response->version(), kProtocolVersion);
  EXPECT_NE(response->request_id(), 0u);

  // The connection is kept and reused; request ids keep matching.
  auto second = client.Call(AckRequest());
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_TRUE(IsAck(second));
  EXPECT_NE(second->request_id(), response->request_id());

  auto peers = Peers();
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].cert_name, "");
  EXPECT_EQ(peers[0].address.rfind("127.0.0.1:", 0), 0u) << peers[0].address;
}

TEST_F(RpcTest, RoundTripWithClientCertificateNamesThePeer) {
  StartServer(AckHandler());
  BlockingRpcClient client(Node1Tls(), "127.0.0.1", server_->port(), "node3");
  auto response = client.Call(AckRequest());
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_TRUE(IsAck(response));
  auto peers = Peers();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].cert_name, "node1");
}

TEST_F(RpcTest, WrongServerNameIsRejected) {
  StartServer(AckHandler());
  auto client = UserClient("node9");
  auto response = client.Call(AckRequest());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnauthenticated) << response.status().message();
  EXPECT_NE(response.status().message().find("node9"), std::string::npos)
      << response.status().message();
  EXPECT_TRUE(Peers().empty());
}

TEST_F(RpcTest, ServerFromAnotherCaIsRejected) {
  StartServer(AckHandler());
  BlockingRpcClient client(Unwrap(MakeClientTlsContext({Tls(*other_keys_, "ca.crt"), "", ""})),
                           "127.0.0.1", server_->port(), "node3");
  auto response = client.Call(AckRequest());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnauthenticated) << response.status().message();
  EXPECT_NE(response.status().message().find("cluster CA"), std::string::npos)
      << response.status().message();
  EXPECT_TRUE(Peers().empty());
}

TEST_F(RpcTest, ClientCertificateFromAnotherCaIsRejected) {
  StartServer(AckHandler());
  // Trusts the right CA but presents a certificate the server's CA never issued.
  auto tls = Unwrap(MakeClientTlsContext(
      {Tls(*keys_, "ca.crt"), Tls(*other_keys_, "node1.crt"), Tls(*other_keys_, "node1.key")}));
  BlockingRpcClient client(tls, "127.0.0.1", server_->port(), "node3");
  auto response = client.Call(AckRequest());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnauthenticated) << response.status().message();
  EXPECT_TRUE(Peers().empty());

  // The server is unharmed.
  auto good = UserClient().Call(AckRequest());
  EXPECT_TRUE(good.ok()) << good.status().message();
}

TEST_F(RpcTest, ConnectionRefusedIsUnavailableAndNamesTheAddress) {
  // A port that was just free: bind, note, release.
  uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  BlockingRpcClient client(UserTls(), "127.0.0.1", port, "node3");
  auto response = client.Call(AckRequest());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << response.status().message();
}

TEST_F(RpcTest, PlaintextClientIsDisconnectedAndServerCarriesOn) {
  StartServer(AckHandler());
  RawClient raw(server_->port());
  ASSERT_FALSE(raw.error()) << raw.error().message();
  ASSERT_FALSE(raw.Write("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(raw.ReadUntilClosed());

  auto response = UserClient().Call(AckRequest());
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_TRUE(IsAck(response));
}

TEST_F(RpcTest, OversizedFrameHeaderDisconnects) {
  RpcServerOptions options;
  options.max_frame_bytes = 1024;
  StartServer(AckHandler(), options);
  auto tls = UserTls();
  RawClient raw(server_->port(), *tls);
  ASSERT_FALSE(raw.error()) << raw.error().message();
  ASSERT_FALSE(raw.Write(std::string("\0\0\x04\x01", 4)));  // 1025 bytes announced
  EXPECT_TRUE(raw.ReadUntilClosed());
  EXPECT_TRUE(Peers().empty());
}

TEST_F(RpcTest, MalformedEnvelopeGetsErrorReplyThenClose) {
  StartServer(AckHandler());
  auto tls = UserTls();
  RawClient raw(server_->port(), *tls);
  ASSERT_FALSE(raw.error()) << raw.error().message();
  // Field 4 (body) announces 16 bytes but carries 2.
  ASSERT_FALSE(
      raw.Write(EncodeFrame(std::string("\x22\x10"
                                        "ab",
                                        4))));
  auto reply = raw.ReadEnvelope();
  ASSERT_TRUE(reply.has_value());
  auto body = ParseBody(*reply);
  ASSERT_TRUE(body.ok()) << body.status().message();
  ASSERT_TRUE(body->has_error());
  EXPECT_EQ(body->error().code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(body->error().message(), "malformed envelope");
  EXPECT_TRUE(raw.ReadUntilClosed());
  EXPECT_TRUE(Peers().empty());
}

TEST_F(RpcTest, UnknownProtocolVersionGetsUnsupported) {
  StartServer(AckHandler());
  auto client = UserClient();
  v1::Envelope request = AckRequest();
  request.set_version(99);
  auto response = client.Call(request);
  ASSERT_TRUE(response.ok()) << response.status().message();
  auto body = ParseBody(*response);
  ASSERT_TRUE(body.ok() && body->has_error());
  EXPECT_EQ(body->error().code(), v1::ERROR_CODE_UNSUPPORTED);
  EXPECT_NE(body->error().message().find("99"), std::string::npos) << body->error().message();
  EXPECT_TRUE(Peers().empty());

  // The connection stays usable.
  EXPECT_TRUE(IsAck(client.Call(AckRequest())));
}

TEST_F(RpcTest, UnknownBodyReachesHandlerWhichAnswersUnsupported) {
  std::atomic<bool> saw_unknown{false};
  StartServer([&](const PeerInfo&, v1::Envelope request, RpcResponder respond) {
    auto body = ParseBody(request);
    if (!body.ok()) {
      saw_unknown = true;
      respond(MakeErrorReply(request, body.status()));
      return;
    }
    respond(AckReply(request));
  });
  v1::Envelope request;
  request.set_version(kProtocolVersion);
  request.set_body(std::string("\xc0\x3e\x01", 3));  // field 1000 = 1: a newer peer's request
  auto body = BodyOrError(UserClient().Call(request));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kUnsupported) << body.status().message();
  EXPECT_TRUE(saw_unknown.load());  // set on the server thread before the answer was sent
  StopServer();                     // the handler refers to this test's locals
}

TEST_F(RpcTest, HandlerMayRespondLater) {
  StartServer([this](const PeerInfo&, v1::Envelope request, RpcResponder respond) {
    auto timer = std::make_shared<asio::steady_timer>(io_, 10ms);
    timer->async_wait([timer, request, respond](const asio::error_code&) {
      asio::post(timer->get_executor(), [request, respond] { respond(AckReply(request)); });
    });
  });
  auto client = UserClient();
  for (int i = 0; i < 3; ++i) {
    auto response = client.Call(AckRequest());
    ASSERT_TRUE(response.ok()) << response.status().message();
    EXPECT_TRUE(IsAck(response));
  }
}

TEST_F(RpcTest, PipelinedAnswersGoOutInRequestOrder) {
  std::optional<RpcResponder> first;
  std::optional<v1::Envelope> first_request;
  StartServer([&](const PeerInfo&, v1::Envelope request, RpcResponder respond) {
    if (request.request_id() == 1) {
      first = respond;  // held until the second request has been answered
      first_request = request;
      return;
    }
    respond(AckReply(request));
    (*first)(AckReply(*first_request));
  });
  auto tls = UserTls();
  RawClient raw(server_->port(), *tls);
  ASSERT_FALSE(raw.error()) << raw.error().message();
  v1::Envelope one = AckRequest();
  one.set_request_id(1);
  v1::Envelope two = AckRequest();
  two.set_request_id(2);
  std::string a, b;
  one.SerializeToString(&a);
  two.SerializeToString(&b);
  ASSERT_FALSE(raw.Write(EncodeFrame(a) + EncodeFrame(b)));
  auto r1 = raw.ReadEnvelope();
  auto r2 = raw.ReadEnvelope();
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->request_id(), 1u);
  EXPECT_EQ(r2->request_id(), 2u);
  StopServer();  // the handler refers to this test's locals
}

TEST_F(RpcTest, RespondingAfterTheConnectionClosedIsHarmless) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<RpcResponder, v1::Envelope>> held;
  StartServer([&](const PeerInfo&, v1::Envelope request, RpcResponder respond) {
    std::lock_guard<std::mutex> lock(mu);
    held.emplace_back(std::move(respond), std::move(request));
    cv.notify_all();
  });
  auto wait_for_requests = [&](size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, kWaitLimit, [&] { return held.size() >= n; });
  };
  std::string bytes;
  AckRequest().SerializeToString(&bytes);
  auto tls = UserTls();

  // The client goes away before the answer.
  RawClient gone(server_->port(), *tls);
  ASSERT_FALSE(gone.error()) << gone.error().message();
  ASSERT_FALSE(gone.Write(EncodeFrame(bytes)));
  ASSERT_TRUE(wait_for_requests(1));
  gone.Close();
  OnServerThread([&] { held[0].first(AckReply(held[0].second)); });

  // The server stops before the answer.
  RawClient waiting(server_->port(), *tls);
  ASSERT_FALSE(waiting.error()) << waiting.error().message();
  ASSERT_FALSE(waiting.Write(EncodeFrame(bytes)));
  ASSERT_TRUE(wait_for_requests(2));
  OnServerThread([&] {
    server_->Stop();
    held[1].first(AckReply(held[1].second));
  });
  EXPECT_TRUE(waiting.ReadUntilClosed());
  StopServer();  // the handler refers to this test's locals
}

TEST_F(RpcTest, IdleConnectionIsClosed) {
  RpcServerOptions options;
  options.idle_timeout = 200ms;
  StartServer(AckHandler(), options);
  auto tls = UserTls();
  RawClient raw(server_->port(), *tls);
  ASSERT_FALSE(raw.error()) << raw.error().message();
  EXPECT_TRUE(raw.ReadUntilClosed());
}

TEST_F(RpcTest, BlockingClientReconnectsAfterServerClosedIdleConnection) {
  RpcServerOptions options;
  options.idle_timeout = 200ms;
  StartServer(AckHandler(), options);
  auto client = UserClient();
  ASSERT_TRUE(IsAck(client.Call(AckRequest())));
  // A connection made later goes idle later: once it is closed, the client's is too.
  {
    auto tls = UserTls();
    RawClient raw(server_->port(), *tls);
    ASSERT_FALSE(raw.error()) << raw.error().message();
    ASSERT_TRUE(raw.ReadUntilClosed());
  }
  auto response = client.Call(AckRequest());
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_TRUE(IsAck(response));
}

TEST_F(RpcTest, ExcessConnectionsAreClosed) {
  RpcServerOptions options;
  options.max_connections = 2;
  StartServer(AckHandler(), options);
  auto first = UserClient();
  auto second = UserClient();
  // A completed call proves each connection is open and counted.
  ASSERT_TRUE(IsAck(first.Call(AckRequest())));
  ASSERT_TRUE(IsAck(second.Call(AckRequest())));

  RawClient third(server_->port());
  ASSERT_FALSE(third.error()) << third.error().message();
  EXPECT_TRUE(third.ReadUntilClosed());

  EXPECT_TRUE(IsAck(first.Call(AckRequest())));
  EXPECT_TRUE(IsAck(second.Call(AckRequest())));
  EXPECT_EQ(Peers().size(), 4u);
}

TEST_F(RpcTest, AsyncClientKeepsCallsInOrder) {
  StartServer(AckHandler());
  asio::io_context client_io;
  auto client = RpcClient::Create(client_io, UserTls(), "127.0.0.1", server_->port(), "node3");
  std::vector<uint64_t> completed;
  std::vector<uint64_t> sent;
  for (int i = 0; i < 5; ++i) {
    v1::Envelope request = AckRequest();
    request.set_request_id(100 + i);
    sent.push_back(100 + i);
    client->Call(request, [&completed](Result<v1::Envelope> response) {
      ASSERT_TRUE(response.ok()) << response.status().message();
      completed.push_back(response->request_id());
    });
  }
  while (completed.size() < sent.size() && client_io.run_one() > 0) {
  }
  EXPECT_EQ(completed, sent);
  client->Close();
  client.reset();
  client_io.poll();
}

TEST_F(RpcTest, CallTimeoutResetsTheConnection) {
  std::vector<RpcResponder> never_answered;
  StartServer([&](const PeerInfo&, v1::Envelope request, RpcResponder respond) {
    if (request.request_id() == 1000) {
      never_answered.push_back(respond);  // kept so it is not answered as dropped
      return;
    }
    respond(AckReply(request));
  });
  RpcClientOptions options;
  options.call_timeout = 500ms;
  BlockingRpcClient client(UserTls(), "127.0.0.1", server_->port(), "node3", options);
  v1::Envelope slow = AckRequest();
  slow.set_request_id(1000);
  auto response = client.Call(slow);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kTimeout) << response.status().message();
  // The next call goes over a new connection and is not confused by a late answer.
  EXPECT_TRUE(IsAck(client.Call(AckRequest())));
  StopServer();  // the handler refers to this test's locals
}

TEST_F(RpcTest, RequestOverTheFrameLimitFailsWithoutSending) {
  StartServer(AckHandler());
  RpcClientOptions options;
  options.max_frame_bytes = 64;
  BlockingRpcClient client(UserTls(), "127.0.0.1", server_->port(), "node3", options);
  v1::Body body;
  body.mutable_heartbeat()->set_name(std::string(100, 'n'));
  auto response = client.Call(MakeEnvelope(body));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kInvalidArgument) << response.status().message();
  EXPECT_TRUE(IsAck(client.Call(AckRequest())));
  EXPECT_EQ(Peers().size(), 1u);
}

TEST(TlsContextTest, MissingFilesAreNamed) {
  auto server =
      MakeServerTlsContext({"/nonexistent/ca.crt", "/nonexistent/h.crt", "/nonexistent/h.key"});
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("/nonexistent/ca.crt"), std::string::npos)
      << server.status().message();

  auto client = MakeClientTlsContext({"/nonexistent/ca.crt", "", ""});
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("/nonexistent/ca.crt"), std::string::npos);
}

TEST(TlsContextTest, NonPemFileIsNamed) {
  char tmpl[] = "/tmp/drover-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/ca.crt";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("not a certificate\n", f);
  std::fclose(f);
  auto client = MakeClientTlsContext({path, "", ""});
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find(path), std::string::npos) << client.status().message();
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace drover
