#include "common/canonical_mac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace drover {
namespace {

void AppendBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

}  // namespace

CanonicalWriter& CanonicalWriter::Bytes(std::string_view bytes) {
  AppendBigEndian(out_, bytes.size(), 4);
  out_.append(bytes);
  return *this;
}

CanonicalWriter& CanonicalWriter::U32(uint32_t v) {
  AppendBigEndian(out_, 4, 4);
  AppendBigEndian(out_, v, 4);
  return *this;
}

CanonicalWriter& CanonicalWriter::U64(uint64_t v) {
  AppendBigEndian(out_, 8, 4);
  AppendBigEndian(out_, v, 8);
  return *this;
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

bool MacEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace drover
