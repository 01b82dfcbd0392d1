// The byte layout that signed structures (user credentials, job credentials) are MACed over,
// and the MAC itself. Every field carries its length, so no two different structures share
// an encoding (host "ab" + nonce "c..." versus host "a" + nonce "bc..."); a domain tag first
// keeps a MAC over one kind of structure from ever verifying as another.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace drover {

class CanonicalWriter {
 public:
  explicit CanonicalWriter(std::string_view domain_tag) { Bytes(domain_tag); }
  CanonicalWriter& Bytes(std::string_view bytes);
  CanonicalWriter& U32(uint32_t v);
  CanonicalWriter& U64(uint64_t v);
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

// HMAC-SHA256 of `message` keyed by `key`: 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view message);
// Constant-time comparison of two MACs; false when their sizes differ.
bool MacEquals(std::string_view a, std::string_view b);

}  // namespace drover
