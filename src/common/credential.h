// MUNGE-style credentials (DESIGN.md, Credentials), the pure part: signing and verification.
//
// A credential says "the kernel of host H saw uid U, gid G, groups [..] ask to send the
// payload whose SHA-256 is P, at time T". It is HMAC-SHA256 over a canonical, length-prefixed
// encoding of every field, keyed by the cluster key. Verification checks, in order: the key id
// is known, the MAC, the time window (issued no later than now + skew, expires no earlier than
// now - skew), the payload hash, and that the nonce was not seen before inside the window.
// No I/O, no clock reads: `now` is a parameter. CredentialVerifier is not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/status.h"

namespace drover {

inline constexpr size_t kMinClusterKeyBytes = 32;

struct ClusterKey {
  uint32_t id = 0;
  std::string bytes;  // at least kMinClusterKeyBytes
};

struct CredentialFields {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;
  std::string host;
  int64_t issued_at_ms = 0;
  uint32_t ttl_seconds = 0;
  std::string nonce;           // 16 bytes
  std::string payload_sha256;  // 32 bytes
  uint32_t key_id = 0;
  std::string mac;             // 32 bytes; filled by SignCredential
};

// Raw 32-byte SHA-256 of `data`.
std::string Sha256(std::string_view data);
std::string HexEncode(std::string_view bytes);

// Sets `fields.key_id` to `key.id` and fills `fields.mac`. Other fields must already be set
// (the nonce included).
void SignCredential(const ClusterKey& key, CredentialFields& fields);

// A key's id is derived from its bytes (the first four bytes of their SHA-256), so that every
// host names the same key the same way without anyone numbering keys in the config, and a
// credential says which of the accepted keys signed it during a rotation.
uint32_t KeyIdOf(std::string_view key_bytes);

// Reads a key file: must be a regular file not readable by group or others, at least 32 bytes.
// Errors say which of these failed and how to fix it (e.g. "chmod 0400 ...").
// The key's id is KeyIdOf its bytes.
Result<ClusterKey> LoadClusterKey(const std::string& path);

struct VerifierOptions {
  uint32_t max_clock_skew_s = 60;
  size_t replay_cache_capacity = 1'000'000;  // nonces kept; oldest evicted first
};

class CredentialVerifier {
 public:
  // `keys`: every key accepted (current and, during rotation, next). REQUIRES: non-empty.
  CredentialVerifier(std::vector<ClusterKey> keys, VerifierOptions options = {});

  // OK if `fields` is valid for `payload` at `now_ms`, and records its nonce. Errors are
  // Unauthenticated with a message that says what failed and what to check, e.g. for skew
  // "credential issued 95 s in the future by host X: check that the clocks of X and this host
  // agree (NTP)".
  Status Verify(const CredentialFields& fields, std::string_view payload, int64_t now_ms);

  void SetKeys(std::vector<ClusterKey> keys);

 private:
  struct Seen {
    std::string nonce;
    int64_t expires_ms;
  };
  std::vector<ClusterKey> keys_;
  VerifierOptions options_;
  std::unordered_set<std::string> seen_;
  std::deque<Seen> order_;
};

}  // namespace drover
