#include "common/credential.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace drover {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

ClusterKey Key(uint32_t id, char fill) { return ClusterKey{id, std::string(32, fill)}; }

class CredentialTest : public ::testing::Test {
 protected:
  // A credential as an auth socket would mint it for `payload_`, issued at kNow.
  CredentialFields Mint(const ClusterKey& key, std::string nonce = std::string(16, 'n')) {
    CredentialFields f;
    f.uid = 1000;
    f.gid = 1000;
    f.groups = {27, 100, 1000};
    f.host = "node1";
    f.issued_at_ms = kNow;
    f.ttl_seconds = 300;
    f.nonce = std::move(nonce);
    f.payload_sha256 = Sha256(payload_);
    SignCredential(key, f);
    return f;
  }

  CredentialVerifier Verifier(VerifierOptions options = {}) {
    return CredentialVerifier({key_}, options);
  }

  ClusterKey key_ = Key(1, 'k');
  std::string payload_ = "serialized SubmitJobRequest";
};

// A freshly signed credential verifies against the payload it was minted for.
TEST_F(CredentialTest, RoundTrip) {
  auto verifier = Verifier();
  CredentialFields f = Mint(key_);
  EXPECT_EQ(f.mac.size(), 32u);
  EXPECT_EQ(f.key_id, 1u);
  Status s = verifier.Verify(f, payload_, kNow);
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST_F(CredentialTest, Sha256AndHexMatchKnownVector) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Changing any one signed field after signing must break the MAC (or the key lookup).
TEST_F(CredentialTest, EachModifiedFieldIsRejected) {
  const std::vector<std::pair<std::string, std::function<void(CredentialFields&)>>> mutations = {
      {"uid", [](CredentialFields& f) { f.uid = 0; }},
      {"gid", [](CredentialFields& f) { f.gid = 0; }},
      {"group changed", [](CredentialFields& f) { f.groups[1] = 0; }},
      {"group added", [](CredentialFields& f) { f.groups.push_back(0); }},
      {"group removed", [](CredentialFields& f) { f.groups.pop_back(); }},
      {"host", [](CredentialFields& f) { f.host = "node2"; }},
      {"issued_at", [](CredentialFields& f) { f.issued_at_ms += 1; }},
      {"ttl", [](CredentialFields& f) { f.ttl_seconds = 86400; }},
      {"nonce", [](CredentialFields& f) { f.nonce[0] ^= 1; }},
      {"payload hash", [](CredentialFields& f) { f.payload_sha256[5] ^= 1; }},
      {"mac", [](CredentialFields& f) { f.mac[31] ^= 1; }},
      {"mac truncated", [](CredentialFields& f) { f.mac.pop_back(); }},
      {"mac empty", [](CredentialFields& f) { f.mac.clear(); }},
      {"key id", [](CredentialFields& f) { f.key_id = 2; }},
  };
  for (const auto& [name, mutate] : mutations) {
    auto verifier = Verifier();
    CredentialFields f = Mint(key_);
    mutate(f);
    Status s = verifier.Verify(f, payload_, kNow);
    EXPECT_EQ(s.code(), StatusCode::kUnauthenticated) << name;
  }
  // A modified payload hash is caught by the MAC before the hash comparison.
  auto verifier = Verifier();
  CredentialFields f = Mint(key_);
  f.payload_sha256 = Sha256("other request");
  Status s = verifier.Verify(f, "other request", kNow);
  EXPECT_NE(s.message().find("signature does not verify"), std::string::npos) << s.message();
}

TEST_F(CredentialTest, WrongKeyIsRejectedWithAHint) {
  auto verifier = Verifier();
  CredentialFields f = Mint(Key(1, 'x'));  // same id, different bytes
  Status s = verifier.Verify(f, payload_, kNow);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("/etc/drover/cluster.key is identical on every host"),
            std::string::npos)
      << s.message();
}

TEST_F(CredentialTest, UnknownKeyIdIsNamed) {
  auto verifier = Verifier();
  CredentialFields f = Mint(Key(7, 'k'));
  Status s = verifier.Verify(f, payload_, kNow);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("unknown cluster key id 7"), std::string::npos) << s.message();
}

TEST_F(CredentialTest, BadNonceAndHashSizesAreRejected) {
  auto verifier = Verifier();
  CredentialFields short_nonce = Mint(key_, std::string(8, 'n'));
  Status s = verifier.Verify(short_nonce, payload_, kNow);
  EXPECT_NE(s.message().find("nonce"), std::string::npos) << s.message();

  CredentialFields f = Mint(key_);
  f.payload_sha256 = "short";
  SignCredential(key_, f);
  s = verifier.Verify(f, payload_, kNow);
  EXPECT_NE(s.message().find("payload hash is 5 bytes"), std::string::npos) << s.message();
}

// Issued 95 s ahead of our clock with a 60 s skew allowance: the issuing host's clock is wrong.
TEST_F(CredentialTest, FutureDatedBeyondSkewIsRejected) {
  auto verifier = Verifier();
  CredentialFields f = Mint(key_);
  Status s = verifier.Verify(f, payload_, kNow - 95'000);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("95 s in the future by host node1"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("NTP"), std::string::npos);
}

TEST_F(CredentialTest, FutureDatedWithinSkewIsAccepted) {
  auto verifier = Verifier();
  EXPECT_TRUE(verifier.Verify(Mint(key_), payload_, kNow - 59'000).ok());
}

TEST_F(CredentialTest, ExpiredIsRejected) {
  auto verifier = Verifier();
  CredentialFields f = Mint(key_);
  // ttl 300 s, skew 60 s: valid through kNow + 360 s.
  EXPECT_TRUE(verifier.Verify(f, payload_, kNow + 360'000).ok());
  Status s = Verifier().Verify(f, payload_, kNow + 420'000);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("expired 120 s ago"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("node1"), std::string::npos);
  EXPECT_NE(s.message().find("NTP"), std::string::npos);
}

TEST_F(CredentialTest, ReplayIsRejected) {
  auto verifier = Verifier();
  CredentialFields f = Mint(key_);
  ASSERT_TRUE(verifier.Verify(f, payload_, kNow).ok());
  Status s = verifier.Verify(f, payload_, kNow + 1000);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("already used"), std::string::npos) << s.message();
  // A different nonce is a different credential.
  EXPECT_TRUE(verifier.Verify(Mint(key_, std::string(16, 'm')), payload_, kNow + 1000).ok());
}

// A rejected credential must not burn its nonce, or a forger could block a real one.
TEST_F(CredentialTest, RejectedCredentialDoesNotEnterReplayCache) {
  auto verifier = Verifier();
  CredentialFields f = Mint(key_);
  EXPECT_FALSE(verifier.Verify(f, "tampered payload", kNow).ok());
  EXPECT_TRUE(verifier.Verify(f, payload_, kNow).ok());
}

TEST_F(CredentialTest, PayloadMismatchIsRejected) {
  auto verifier = Verifier();
  Status s = verifier.Verify(Mint(key_), "a different request", kNow);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("payload hash mismatch"), std::string::npos) << s.message();
}

// With room for three nonces the oldest live one is forgotten when a fourth arrives.
TEST_F(CredentialTest, ReplayCacheIsBounded) {
  VerifierOptions options;
  options.replay_cache_capacity = 3;
  auto verifier = Verifier(options);
  auto nonce = [](char c) { return std::string(16, c); };
  for (char c : {'a', 'b', 'c', 'd'}) {
    ASSERT_TRUE(verifier.Verify(Mint(key_, nonce(c)), payload_, kNow).ok()) << c;
  }
  // 'a' was evicted (the bound's known cost); b, c, d are still remembered.
  EXPECT_TRUE(verifier.Verify(Mint(key_, nonce('a')), payload_, kNow).ok());
  EXPECT_FALSE(verifier.Verify(Mint(key_, nonce('c')), payload_, kNow).ok());
  EXPECT_FALSE(verifier.Verify(Mint(key_, nonce('d')), payload_, kNow).ok());
}

// An expired nonce gives up its slot; the live ones stay remembered.
TEST_F(CredentialTest, ReplayCacheEvictsExpiredFirst) {
  VerifierOptions options;
  options.replay_cache_capacity = 3;
  auto verifier = Verifier(options);
  auto mint_at = [&](char c, int64_t issued_at_ms) {
    CredentialFields f = Mint(key_, std::string(16, c));
    f.issued_at_ms = issued_at_ms;
    SignCredential(key_, f);
    return f;
  };
  const int64_t t1 = kNow + 200'000;
  const int64_t t2 = kNow + 361'000;  // the first credential (ttl 300 s + skew 60 s) is gone
  CredentialFields old = mint_at('o', kNow);
  CredentialFields p = mint_at('p', t1), q = mint_at('q', t1), r = mint_at('r', t2);
  ASSERT_TRUE(verifier.Verify(old, payload_, kNow).ok());
  ASSERT_TRUE(verifier.Verify(p, payload_, t1).ok());
  ASSERT_TRUE(verifier.Verify(q, payload_, t1).ok());
  ASSERT_TRUE(verifier.Verify(r, payload_, t2).ok());
  EXPECT_FALSE(verifier.Verify(p, payload_, t2).ok());
  EXPECT_FALSE(verifier.Verify(q, payload_, t2).ok());
  EXPECT_FALSE(verifier.Verify(r, payload_, t2).ok());
  // The expired one is refused by the clock check, cache or not.
  EXPECT_NE(verifier.Verify(old, payload_, t2).message().find("expired"), std::string::npos);
}

// During rotation the verifier holds the current and the next key and accepts both.
TEST_F(CredentialTest, KeyRotationAcceptsBothKeys) {
  ClusterKey current = Key(1, 'c');
  ClusterKey next = Key(2, 'n');
  CredentialVerifier verifier({current, next});
  EXPECT_TRUE(verifier.Verify(Mint(current, std::string(16, '1')), payload_, kNow).ok());
  EXPECT_TRUE(verifier.Verify(Mint(next, std::string(16, '2')), payload_, kNow).ok());

  verifier.SetKeys({next});
  Status s = verifier.Verify(Mint(current, std::string(16, '3')), payload_, kNow);
  EXPECT_NE(s.message().find("unknown cluster key id 1"), std::string::npos) << s.message();
}

class CredentialKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drover_cred_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes, mode_t mode) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    chmod(path.c_str(), mode);
    return path;
  }

  std::string dir_;
};

TEST_F(CredentialKeyFileTest, LoadsAPrivateKey) {
  const std::string bytes(40, '\x7f');
  auto key = LoadClusterKey(Write("cluster.key", bytes, 0400));
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(key->id, KeyIdOf(bytes));
  EXPECT_EQ(key->bytes, bytes);
}

TEST(KeyIdTest, DerivedFromTheBytesSoEveryHostAgrees) {
  const std::string a(32, 'a');
  EXPECT_EQ(KeyIdOf(a), KeyIdOf(std::string(32, 'a')));
  EXPECT_NE(KeyIdOf(a), KeyIdOf(std::string(32, 'b')));
}

TEST_F(CredentialKeyFileTest, GroupOrWorldAccessIsRefusedWithChmodHint) {
  for (mode_t mode : {0440, 0404, 0600 | 0020, 0644}) {
    const std::string path = Write("cluster.key", std::string(32, 'k'), mode);
    auto key = LoadClusterKey(path);
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_NE(key.status().message().find("chmod 0400 " + path), std::string::npos)
        << key.status().message();
  }
}

TEST_F(CredentialKeyFileTest, ShortKeyIsRefused) {
  auto key = LoadClusterKey(Write("cluster.key", std::string(31, 'k'), 0400));
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("31 bytes"), std::string::npos)
      << key.status().message();
}

TEST_F(CredentialKeyFileTest, MissingFileAndDirectoryAreRefused) {
  auto missing = LoadClusterKey(dir_ + "/nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir_ + "/nope"), std::string::npos);

  chmod(dir_.c_str(), 0700);
  auto directory = LoadClusterKey(dir_);
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.status().message().find("not a regular file"), std::string::npos)
      << directory.status().message();
}

}  // namespace
}  // namespace drover
