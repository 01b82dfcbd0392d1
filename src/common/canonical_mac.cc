#include "common/canonical_mac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

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

namespace {

// OpenSSL 3's one-shot HMAC() looks the algorithm up (a fetch, with locks) on every call, which
// was most of a credential's signing and checking cost at thousands per second. The fetched
// algorithm is kept, and each thread keeps a context keyed with the last key it used.
EVP_MAC* FetchedHmac() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

struct KeyedContext {
  EVP_MAC_CTX* ctx = nullptr;
  std::string key;
  ~KeyedContext() { EVP_MAC_CTX_free(ctx); }
};

bool CachedHmacSha256(std::string_view key, std::string_view message, unsigned char* out, size_t* out_len) {
  thread_local KeyedContext cached;
  if (cached.ctx == nullptr) {
    if (FetchedHmac() == nullptr) return false;
    cached.ctx = EVP_MAC_CTX_new(FetchedHmac());
    if (cached.ctx == nullptr) return false;
    cached.key.clear();
  }
  int ok;
  if (cached.key.empty() || cached.key != key) {
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    ok = EVP_MAC_init(cached.ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
    cached.key.assign(ok == 1 ? key : std::string_view());
  } else {
    ok = EVP_MAC_init(cached.ctx, nullptr, 0, nullptr);  // the same key again
  }
  if (ok != 1 ||
      EVP_MAC_update(cached.ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      EVP_MAC_final(cached.ctx, out, out_len, EVP_MAX_MD_SIZE) != 1) {
    cached.key.clear();
    return false;
  }
  return true;
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (!key.empty() && CachedHmacSha256(key, message, mac, &len)) {
    return std::string(reinterpret_cast<const char*>(mac), len);
  }
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

bool MacEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace drover
