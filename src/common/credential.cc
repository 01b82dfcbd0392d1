#include "common/credential.h"

#include "common/canonical_mac.h"

#include <openssl/sha.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

namespace drover {
namespace {

constexpr size_t kNonceBytes = 16;
constexpr size_t kSha256Bytes = 32;
constexpr size_t kMacBytes = 32;

// Bumping the tag invalidates every credential of the old layout instead of letting a layout
// change be misread as different field values.
constexpr std::string_view kDomainTag = "drover-cred-v1";

std::string ComputeMac(const ClusterKey& key, const CredentialFields& f) {
  CanonicalWriter w(kDomainTag);
  w.U32(f.key_id).U32(f.uid).U32(f.gid).U32(static_cast<uint32_t>(f.groups.size()));
  for (uint32_t g : f.groups) w.U32(g);
  w.Bytes(f.host).U64(static_cast<uint64_t>(f.issued_at_ms)).U32(f.ttl_seconds);
  w.Bytes(f.nonce).Bytes(f.payload_sha256);
  return HmacSha256(key.bytes, w.str());
}

// Whole seconds are what a human compares against `date` on two hosts; sub-second offsets
// are shown as such rather than as a confusing "0 s".
std::string DescribeSeconds(int64_t ms) {
  if (ms < 1000) return "less than 1 s";
  return std::to_string((ms + 500) / 1000) + " s";
}

std::string HostOrUnknown(const std::string& host) {
  return host.empty() ? std::string("<unnamed host>") : host;
}

}  // namespace

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

void SignCredential(const ClusterKey& key, CredentialFields& fields) {
  fields.key_id = key.id;
  fields.mac = ComputeMac(key, fields);
}

uint32_t KeyIdOf(std::string_view key_bytes) {
  const std::string digest = Sha256(key_bytes);
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id = (id << 8) | static_cast<unsigned char>(digest[i]);
  return id;
}

Result<ClusterKey> LoadClusterKey(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    std::string msg = "cannot read cluster key " + path + ": " + std::strerror(err);
    if (err == ENOENT) {
      return Status::NotFound(msg + " (create it with `drover keygen` and copy it to every host)");
    }
    return Status::PermissionDenied(msg);
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("cluster key " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::PermissionDenied("cluster key " + path + " has mode " + mode +
                                    ", readable or writable by group or others; anyone who reads "
                                    "it can forge credentials: run `chmod 0400 " + path + "`");
  }
  if (static_cast<size_t>(st.st_size) < kMinClusterKeyBytes) {
    return Status::InvalidArgument("cluster key " + path + " is " + std::to_string(st.st_size) +
                                   " bytes, at least " + std::to_string(kMinClusterKeyBytes) +
                                   " are required (make a new one with `drover keygen`)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::PermissionDenied("cannot open cluster key " + path + ": " +
                                    std::strerror(errno));
  }
  ClusterKey key;
  key.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IoError("cannot read cluster key " + path);
  key.id = KeyIdOf(key.bytes);
  // The file may have been replaced between stat and read.
  if (key.bytes.size() < kMinClusterKeyBytes) {
    return Status::InvalidArgument("cluster key " + path + " is shorter than " +
                                   std::to_string(kMinClusterKeyBytes) + " bytes");
  }
  return key;
}

CredentialVerifier::CredentialVerifier(std::vector<ClusterKey> keys, VerifierOptions options)
    : keys_(std::move(keys)), options_(options) {}

void CredentialVerifier::SetKeys(std::vector<ClusterKey> keys) { keys_ = std::move(keys); }

Status CredentialVerifier::Verify(const CredentialFields& fields, std::string_view payload,
                                  int64_t now_ms) {
  const ClusterKey* key = nullptr;
  for (const ClusterKey& k : keys_) {
    if (k.id == fields.key_id) {
      key = &k;
      break;
    }
  }
  if (key == nullptr) {
    return Status::Unauthenticated(
        "credential signed with unknown cluster key id " + std::to_string(fields.key_id) +
        " by host " + HostOrUnknown(fields.host) +
        ": check that every host has the same key_file (and, during a key rotation, that this "
        "host's next_key_file names the new key and it was reloaded with SIGHUP)");
  }

  const std::string expected = ComputeMac(*key, fields);
  if (fields.mac.size() != kMacBytes || !MacEquals(expected, fields.mac)) {
    return Status::Unauthenticated(
        "credential signature does not verify: forged, modified, or signed with a different "
        "cluster key — check that /etc/drover/cluster.key is identical on every host");
  }

  if (fields.nonce.size() != kNonceBytes) {
    return Status::Unauthenticated("credential nonce is " + std::to_string(fields.nonce.size()) +
                                   " bytes, expected " + std::to_string(kNonceBytes));
  }
  if (fields.payload_sha256.size() != kSha256Bytes) {
    return Status::Unauthenticated("credential payload hash is " +
                                   std::to_string(fields.payload_sha256.size()) +
                                   " bytes, expected " + std::to_string(kSha256Bytes));
  }

  const int64_t skew_ms = int64_t{options_.max_clock_skew_s} * 1000;
  const std::string host = HostOrUnknown(fields.host);
  // No clock reports a time before 1970; refusing one also keeps the arithmetic below (the
  // expiry, "expired N s ago") inside int64 (found by tests/fuzz/credential_fuzz).
  if (fields.issued_at_ms < 0) {
    return Status::Unauthenticated("credential from host " + host +
                                   " has an issue time before 1970: check the clock of " + host);
  }
  if (fields.issued_at_ms > now_ms + skew_ms) {
    return Status::Unauthenticated(
        "credential issued " + DescribeSeconds(fields.issued_at_ms - now_ms) +
        " in the future by host " + host + " (allowed clock skew " +
        std::to_string(options_.max_clock_skew_s) + " s): check that the clocks of " + host +
        " and this host agree (NTP)");
  }
  const int64_t expires_ms = fields.issued_at_ms + int64_t{fields.ttl_seconds} * 1000;
  if (expires_ms + skew_ms < now_ms) {
    return Status::Unauthenticated(
        "credential from host " + host + " expired " + DescribeSeconds(now_ms - expires_ms) +
        " ago (time to live " + std::to_string(fields.ttl_seconds) + " s, allowed clock skew " +
        std::to_string(options_.max_clock_skew_s) +
        " s): if it was just issued, check that the clocks of " + host +
        " and this host agree (NTP)");
  }

  if (Sha256(payload) != fields.payload_sha256) {
    return Status::Unauthenticated(
        "credential was issued for a different request (payload hash mismatch): the message was "
        "modified in transit or the credential was taken from another request");
  }

  // Entries are dropped from the front only; a later-inserted entry may expire earlier than
  // the front and then lingers until it reaches the front, which only costs memory.
  while (!order_.empty() && order_.front().expires_ms < now_ms) {
    seen_.erase(order_.front().nonce);
    order_.pop_front();
  }
  if (seen_.count(fields.nonce) != 0) {
    return Status::Unauthenticated("credential from host " + host +
                                   " was already used (replayed nonce " +
                                   HexEncode(fields.nonce) + ")");
  }
  // Past capacity the oldest live nonce is forgotten: a bounded cache trades a replay window
  // for that one credential against unbounded memory under a flood.
  while (!order_.empty() && order_.size() >= options_.replay_cache_capacity) {
    seen_.erase(order_.front().nonce);
    order_.pop_front();
  }
  seen_.insert(fields.nonce);
  order_.push_back(Seen{fields.nonce, expires_ms + skew_ms});
  return Status::Ok();
}

}  // namespace drover
