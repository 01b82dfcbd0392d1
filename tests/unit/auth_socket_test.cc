#include "common/auth_socket.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <asio.hpp>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>

#include "common/envelope.h"
#include "common/frame.h"
#include "drover/v1/drover.pb.h"

namespace drover {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

int64_t FixedNow() { return kNow; }

int ConnectRaw(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `bytes` as a client would and returns everything the server writes before closing.
std::string Exchange(const std::string& path, const std::string& bytes) {
  int fd = ConnectRaw(path);
  if (fd < 0) return "";
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  // Half-close so that a server waiting for the rest of a frame sees EOF instead of its timeout.
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// The Error a server answered with, or a failure if the answer is not one framed Error.
Status ErrorReplyOf(const std::string& response) {
  FrameDecoder decoder;
  decoder.Feed(response);
  auto frame = decoder.Next();
  if (!frame.ok() || !frame->has_value()) return Status::Internal("no frame in the answer");
  v1::Envelope env;
  if (!env.ParseFromString(**frame)) return Status::Internal("answer is not an Envelope");
  auto body = BodyOrError(Result<v1::Envelope>(env));
  if (body.ok()) return Status::Internal("answer is not an error");
  return body.status();
}

class AuthSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drover_auth_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // The socket's parent does not exist yet: Start must create it.
    path_ = dir_ + "/run/auth.sock";
    key_ = ClusterKey{1, std::string(32, 'k')};
  }

  void TearDown() override {
    StopServer();
    std::filesystem::remove_all(dir_);
  }

  AuthSigner Signer(const ClusterKey& key) {
    AuthSigner signer;
    signer.key = key;
    signer.host = "node1";
    signer.ttl_seconds = 300;
    signer.now_ms = FixedNow;
    return signer;
  }

  Status StartServer() {
    server_ = std::make_unique<AuthSocketServer>(io_, path_, Signer(key_));
    Status s = server_->Start();
    if (s.ok()) {
      io_.restart();
      thread_ = std::thread([this] { io_.run(); });
    }
    return s;
  }

  void StopServer() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  Result<CredentialFields> Fetch(const std::string& payload) {
    auto cred = FetchCredential(path_, Sha256(payload));
    if (!cred.ok()) return cred.status();
    return CredentialFromProto(*cred);
  }

  std::string dir_;
  std::string path_;
  ClusterKey key_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  std::unique_ptr<AuthSocketServer> server_;
  std::thread thread_;
};

// The credential carries the caller's identity as the kernel reports it and verifies.
TEST_F(AuthSocketTest, FetchReturnsCallerIdentityAndVerifies) {
  ASSERT_TRUE(StartServer().ok());
  auto f = Fetch("submit request");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->uid, getuid());
  EXPECT_EQ(f->gid, getgid());
  std::vector<gid_t> mine(static_cast<size_t>(getgroups(0, nullptr)));
  ASSERT_EQ(getgroups(static_cast<int>(mine.size()), mine.data()), static_cast<int>(mine.size()));
  EXPECT_EQ(std::set<uint32_t>(f->groups.begin(), f->groups.end()),
            std::set<uint32_t>(mine.begin(), mine.end()));
  EXPECT_EQ(f->host, "node1");
  EXPECT_EQ(f->issued_at_ms, kNow);
  EXPECT_EQ(f->ttl_seconds, 300u);
  EXPECT_EQ(f->nonce.size(), 16u);
  EXPECT_EQ(f->key_id, 1u);

  CredentialVerifier verifier({key_});
  Status s = verifier.Verify(*f, "submit request", kNow + 1000);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(verifier.Verify(*f, "another request", kNow + 1000).ok());
}

TEST_F(AuthSocketTest, EachCredentialHasAFreshNonce) {
  ASSERT_TRUE(StartServer().ok());
  auto a = Fetch("x");
  auto b = Fetch("x");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->nonce, b->nonce);
}

// One kept-open connection answers pipelined requests in order, each for its own payload, and
// keeps answering after that; a connection the server closed is replaced.
TEST_F(AuthSocketTest, KeptOpenConnectionAnswersManyRequestsInOrder) {
  ASSERT_TRUE(StartServer().ok());
  AuthClient client(path_);
  std::vector<std::string> payloads = {"a", "b", "c", "d"};
  std::vector<std::string> hashes;
  for (const auto& p : payloads) hashes.push_back(Sha256(p));
  auto many = client.FetchMany(hashes);
  ASSERT_TRUE(many.ok()) << many.status().message();
  ASSERT_EQ(many->size(), payloads.size());
  CredentialVerifier verifier({key_});
  for (size_t i = 0; i < payloads.size(); ++i) {
    Status s = verifier.Verify(CredentialFromProto((*many)[i]), payloads[i], kNow);
    EXPECT_TRUE(s.ok()) << i << ": " << s.message();
  }
  auto again = client.Fetch(Sha256("e"));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(verifier.Verify(CredentialFromProto(*again), "e", kNow).ok());

  StopServer();
  ASSERT_TRUE(StartServer().ok());
  auto after_restart = client.Fetch(Sha256("f"));
  ASSERT_TRUE(after_restart.ok()) << after_restart.status().message();
}

TEST_F(AuthSocketTest, SocketAndDirectoryModes) {
  ASSERT_TRUE(StartServer().ok());
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  ASSERT_EQ(stat((dir_ + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

// Garbage must get an error answer, never take the server down.
TEST_F(AuthSocketTest, GarbageIsAnsweredWithAnErrorAndServingContinues) {
  ASSERT_TRUE(StartServer().ok());
  // An oversized length prefix ("GET " read as a length).
  EXPECT_EQ(ErrorReplyOf(Exchange(path_, "GET / HTTP/1.1\r\n\r\n")).code(),
            StatusCode::kResourceExhausted);
  // A well-sized frame that is not an Envelope.
  EXPECT_EQ(ErrorReplyOf(Exchange(path_, EncodeFrame("\xff\xff\xff\xff garbage"))).code(),
            StatusCode::kInvalidArgument);
  // A valid Envelope with the wrong request kind.
  v1::Body ack;
  ack.mutable_ack();
  EXPECT_EQ(
      ErrorReplyOf(Exchange(path_, EncodeFrame(MakeEnvelope(ack).SerializeAsString()))).code(),
      StatusCode::kInvalidArgument);
  // An auth request with a hash of the wrong size.
  v1::Body auth;
  auth.mutable_auth()->set_payload_sha256("short");
  Status short_hash =
      ErrorReplyOf(Exchange(path_, EncodeFrame(MakeEnvelope(auth).SerializeAsString())));
  EXPECT_NE(short_hash.message().find("32 bytes"), std::string::npos) << short_hash.message();
  // A client that hangs up half-way through a frame.
  Exchange(path_, std::string("\0\0\0\x40partial", 11));

  auto f = Fetch("after the garbage");
  EXPECT_TRUE(f.ok()) << f.status().message();
}

// A client that connects and says nothing does not keep others from being served.
TEST_F(AuthSocketTest, SilentClientDoesNotBlockOthers) {
  ASSERT_TRUE(StartServer().ok());
  int silent = ConnectRaw(path_);
  ASSERT_GE(silent, 0);
  auto f = Fetch("while someone idles");
  EXPECT_TRUE(f.ok()) << f.status().message();
  ::close(silent);
}

// A socket file left by a crashed daemon is replaced.
TEST_F(AuthSocketTest, StaleSocketFileIsReplaced) {
  std::filesystem::create_directories(dir_ + "/run");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);  // the file stays, nobody listens
  ASSERT_TRUE(std::filesystem::exists(path_));

  Status s = StartServer();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(Fetch("x").ok());
}

TEST_F(AuthSocketTest, SecondServerOnALivePathIsRefused) {
  ASSERT_TRUE(StartServer().ok());
  asio::io_context other_io;
  AuthSocketServer second(other_io, path_, Signer(key_));
  Status s = second.Start();
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.message();
  // The refused server must leave the live one's socket alone.
  second.Stop();
  EXPECT_TRUE(Fetch("x").ok());
}

TEST_F(AuthSocketTest, NonSocketFileIsNotReplaced) {
  std::filesystem::create_directories(dir_ + "/run");
  { std::FILE* f = std::fopen(path_.c_str(), "w"); std::fclose(f); }
  EXPECT_EQ(StartServer().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(std::filesystem::is_regular_file(path_));
}

TEST_F(AuthSocketTest, StopRemovesTheSocketFile) {
  ASSERT_TRUE(StartServer().ok());
  StopServer();
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(AuthSocketTest, NoServerIsUnavailableWithAHint) {
  auto cred = FetchCredential(path_, Sha256("x"));
  ASSERT_FALSE(cred.ok());
  EXPECT_EQ(cred.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(cred.status().message().find("cannot reach the drover auth socket at " + path_),
            std::string::npos)
      << cred.status().message();
  EXPECT_NE(cred.status().message().find("is drover-ctld or drover-noded running"),
            std::string::npos);
}

// A listener that never answers: the client gives up at its deadline.
TEST_F(AuthSocketTest, ClientTimesOut) {
  std::filesystem::create_directories(dir_ + "/run");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  auto cred = FetchCredential(path_, Sha256("x"), std::chrono::milliseconds(100));
  EXPECT_EQ(cred.status().code(), StatusCode::kTimeout) << cred.status().message();
  ::close(fd);
}

TEST_F(AuthSocketTest, SetSignerRotatesTheKey) {
  ASSERT_TRUE(StartServer().ok());
  ClusterKey next{2, std::string(32, 'n')};
  server_->SetSigner(Signer(next));
  auto f = Fetch("x");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->key_id, 2u);
  CredentialVerifier verifier({key_, next});
  EXPECT_TRUE(verifier.Verify(*f, "x", kNow).ok());
}

TEST(CredentialProtoTest, RoundTrip) {
  CredentialFields f;
  f.uid = 1001;
  f.gid = 1002;
  f.groups = {4, 24, 27};
  f.host = "node4";
  f.issued_at_ms = kNow;
  f.ttl_seconds = 120;
  f.nonce = std::string(16, '\x01');
  f.payload_sha256 = Sha256("p");
  SignCredential(ClusterKey{9, std::string(32, 'z')}, f);
  v1::Credential proto;
  CredentialToProto(f, &proto);
  CredentialFields back = CredentialFromProto(proto);
  EXPECT_EQ(back.uid, f.uid);
  EXPECT_EQ(back.gid, f.gid);
  EXPECT_EQ(back.groups, f.groups);
  EXPECT_EQ(back.host, f.host);
  EXPECT_EQ(back.issued_at_ms, f.issued_at_ms);
  EXPECT_EQ(back.ttl_seconds, f.ttl_seconds);
  EXPECT_EQ(back.nonce, f.nonce);
  EXPECT_EQ(back.payload_sha256, f.payload_sha256);
  EXPECT_EQ(back.key_id, 9u);
  EXPECT_EQ(back.mac, f.mac);
}

// The uid comes from the kernel: a process that became nobody gets nobody's credential.
TEST_F(AuthSocketTest, UidComesFromTheKernel) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
  constexpr uid_t kNobody = 65534;
  // nobody must be able to reach the socket inside our private temp dir.
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);

  // Fork before the server thread exists so the child is a clean single-threaded copy.
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(go[1]);
    char c;
    if (::read(go[0], &c, 1) != 1) _exit(10);
    if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(11);
    auto cred = FetchCredential(path_, Sha256("as nobody"));
    if (!cred.ok()) _exit(12);
    if (cred->uid() != kNobody) _exit(13);
    if (cred->gid() != kNobody) _exit(14);
    if (cred->groups_size() != 0) _exit(15);
    _exit(0);
  }
  ::close(go[0]);
  Status s = StartServer();
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  ::close(go[1]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "10 no go signal, 11 cannot drop privileges, 12 fetch "
                                        "failed, 13 wrong uid, 14 wrong gid, 15 groups kept";
}

}  // namespace
}  // namespace drover
