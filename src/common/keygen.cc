#include "common/keygen.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace drover {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kSecretMode = 0400;
constexpr mode_t kPublicMode = 0644;
constexpr size_t kClusterKeyBytes = 32;
// Boards without an RTC boot with a clock that lags until NTP catches up; a certificate
// that only becomes valid "now" would be rejected by such a peer.
constexpr long kNotBeforeSkewSeconds = 24 * 3600;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, ExtFree>;

// Drains OpenSSL's per-thread error queue into one line, so a later call does not report
// a stale error.
std::string OpensslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Status OpensslStatus(const std::string& what) {
  return Status::Internal(what + ": " + OpensslError());
}

std::string Errno() { return std::strerror(errno); }

// Writes `data` to a new file created with `mode` from the start, so a secret is never
// readable by others, not even briefly. With `replace` the file is written beside the old one
// and renamed over it, so a crash leaves either the old or the new file, never half of one.
Status WriteNewFile(const std::string& path, const std::string& data, mode_t mode, bool replace) {
  const std::string target = replace ? path + ".tmp" : path;
  if (replace && ::unlink(target.c_str()) != 0 && errno != ENOENT) {
    return Status::IoError("cannot remove stale " + target + ": " + Errno());
  }
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists(target + " already exists");
    return Status::IoError("cannot create " + target + ": " + Errno());
  }
  auto fail = [&](const std::string& what) {
    Status s = Status::IoError(what + " " + target + ": " + Errno());
    ::close(fd);
    ::unlink(target.c_str());
    return s;
  };
  // open() applied the umask; the modes in keygen.h are a contract, not a suggestion.
  if (::fchmod(fd, mode) != 0) return fail("cannot set the mode of");
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot sync");
  if (::close(fd) != 0) {
    Status s = Status::IoError("cannot write " + target + ": " + Errno());
    ::unlink(target.c_str());
    return s;
  }
  if (replace && ::rename(target.c_str(), path.c_str()) != 0) {
    Status s = Status::IoError("cannot rename " + target + " to " + path + ": " + Errno());
    ::unlink(target.c_str());
    return s;
  }
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path + ": " + Errno());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read " + path);
  return ss.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Host names become file names and certificate names; anything beyond a DNS label set could
// escape the tls/ directory or make a certificate no client can match.
Status ValidateHost(const std::string& host) {
  if (host.empty()) return Status::InvalidArgument("empty host name");
  if (host.size() > 253) return Status::InvalidArgument("host name too long: " + host);
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) {
      return Status::InvalidArgument("host name '" + host +
                                     "' may contain only letters, digits, '-' and '.'");
    }
  }
  if (host.front() == '.' || host.front() == '-') {
    return Status::InvalidArgument("host name '" + host + "' must start with a letter or digit");
  }
  if (host == "ca") {
    return Status::InvalidArgument("host name 'ca' would collide with the CA's files");
  }
  return Status::Ok();
}

Result<PkeyPtr> NewP256Key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpensslStatus("cannot generate a P-256 key");
  return key;
}

Result<std::string> KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpensslStatus("cannot encode a private key");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<std::string> CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpensslStatus("cannot encode a certificate");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<PkeyPtr> LoadKey(const std::string& path) {
  auto pem = ReadWholeFile(path);
  if (!pem.ok()) return pem.status();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return OpensslStatus(path + " is not a PEM private key");
  return key;
}

Result<X509Ptr> LoadCert(const std::string& path) {
  auto pem = ReadWholeFile(path);
  if (!pem.ok()) return pem.status();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return OpensslStatus(path + " is not a PEM certificate");
  return cert;
}

Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpensslStatus(std::string("cannot add certificate extension ") + OBJ_nid2sn(nid) + "=" +
                         value);
  }
  return Status::Ok();
}

// Fills in everything but the extensions and the signature.
Status InitCert(X509* cert, EVP_PKEY* key, const std::string& cn, X509_NAME* issuer_name,
                int valid_days) {
  // Random 159-bit serials (RFC 5280 caps them at 20 octets, positive) so that two keygen
  // runs never issue the same issuer/serial pair.
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpensslStatus("cannot make a certificate serial number");
  }
  if (X509_set_version(cert, X509_VERSION_3) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert), -kNotBeforeSkewSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), valid_days, 0, nullptr) == nullptr ||
      X509_set_pubkey(cert, key) != 1) {
    return OpensslStatus("cannot fill in certificate fields");
  }
  X509_NAME* subject = X509_get_subject_name(cert);
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return OpensslStatus("cannot set certificate name " + cn);
  }
  if (X509_set_issuer_name(cert, issuer_name ? issuer_name : subject) != 1) {
    return OpensslStatus("cannot set certificate issuer");
  }
  return Status::Ok();
}

struct KeyAndCert {
  PkeyPtr key;
  X509Ptr cert;
};

Result<KeyAndCert> MakeCa(int valid_days) {
  auto key = NewP256Key();
  if (!key.ok()) return key.status();
  X509Ptr cert(X509_new());
  if (!cert) return OpensslStatus("cannot allocate a certificate");
  DROVER_RETURN_IF_ERROR(
      InitCert(cert.get(), key->get(), "drover cluster CA", nullptr, valid_days));
  DROVER_RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE"));
  DROVER_RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  DROVER_RETURN_IF_ERROR(AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key->get(), EVP_sha256()) == 0) {
    return OpensslStatus("cannot sign the CA certificate");
  }
  return KeyAndCert{std::move(*key), std::move(cert)};
}

Result<KeyAndCert> MakeHostCert(const std::string& host, const KeyAndCert& ca, int valid_days) {
  auto key = NewP256Key();
  if (!key.ok()) return key.status();
  X509Ptr cert(X509_new());
  if (!cert) return OpensslStatus("cannot allocate a certificate");
  DROVER_RETURN_IF_ERROR(
      InitCert(cert.get(), key->get(), host, X509_get_subject_name(ca.cert.get()), valid_days));
  const std::string san = "DNS:" + host;
  DROVER_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  DROVER_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca.cert.get(), NID_key_usage, "critical,digitalSignature"));
  // Daemons are both servers and clients of one another (mutual TLS), so one certificate
  // serves both roles.
  DROVER_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca.cert.get(), NID_ext_key_usage, "serverAuth,clientAuth"));
  DROVER_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca.cert.get(), NID_subject_alt_name, san.c_str()));
  DROVER_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca.cert.get(), NID_subject_key_identifier, "hash"));
  DROVER_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca.cert.get(), NID_authority_key_identifier, "keyid:always"));
  if (X509_sign(cert.get(), ca.key.get(), EVP_sha256()) == 0) {
    return OpensslStatus("cannot sign the certificate for " + host);
  }
  return KeyAndCert{std::move(*key), std::move(cert)};
}

Status WriteKeyAndCert(const KeyAndCert& kc, const std::string& key_path,
                       const std::string& cert_path, bool replace, KeygenReport& report) {
  auto key_pem = KeyToPem(kc.key.get());
  if (!key_pem.ok()) return key_pem.status().WithContext(key_path);
  auto cert_pem = CertToPem(kc.cert.get());
  if (!cert_pem.ok()) return cert_pem.status().WithContext(cert_path);
  DROVER_RETURN_IF_ERROR(
      WriteNewFile(key_path, *key_pem, kSecretMode, replace || Exists(key_path)));
  report.created.push_back(key_path);
  DROVER_RETURN_IF_ERROR(
      WriteNewFile(cert_path, *cert_pem, kPublicMode, replace || Exists(cert_path)));
  report.created.push_back(cert_path);
  return Status::Ok();
}

Status MakeDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status::IoError("cannot create directory " + path + ": " + ec.message());
  if (!fs::is_directory(path, ec)) return Status::IoError(path + " is not a directory");
  return Status::Ok();
}

}  // namespace

Result<KeygenReport> GenerateClusterKeys(const KeygenOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("keygen: no output directory given");
  if (options.valid_days <= 0) {
    return Status::InvalidArgument("keygen: valid_days must be positive, not " +
                                   std::to_string(options.valid_days));
  }
  for (const auto& host : options.hosts) DROVER_RETURN_IF_ERROR(ValidateHost(host));

  const std::string dir = options.dir;
  const std::string tls_dir = dir + "/tls";
  DROVER_RETURN_IF_ERROR(MakeDir(tls_dir));

  KeygenReport report;

  const std::string cluster_key = dir + "/cluster.key";
  if (Exists(cluster_key) && !options.force) {
    report.kept.push_back(cluster_key);
  } else {
    std::string key(kClusterKeyBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) !=
        1) {
      return OpensslStatus("cannot make random bytes for " + cluster_key);
    }
    DROVER_RETURN_IF_ERROR(WriteNewFile(cluster_key, key, kSecretMode, Exists(cluster_key)));
    OPENSSL_cleanse(key.data(), key.size());
    report.created.push_back(cluster_key);
  }

  const std::string ca_key_path = tls_dir + "/ca.key";
  const std::string ca_cert_path = tls_dir + "/ca.crt";
  const bool have_ca_key = Exists(ca_key_path);
  const bool have_ca_cert = Exists(ca_cert_path);
  KeyAndCert ca;
  bool new_ca = false;
  if (have_ca_key && have_ca_cert && !options.force) {
    auto key = LoadKey(ca_key_path);
    if (!key.ok()) return key.status();
    auto cert = LoadCert(ca_cert_path);
    if (!cert.ok()) return cert.status();
    if (X509_check_private_key(cert->get(), key->get()) != 1) {
      ERR_clear_error();
      return Status::InvalidArgument(ca_key_path + " does not belong to " + ca_cert_path +
                                     " (rerun with --force to make a new CA)");
    }
    ca = KeyAndCert{std::move(*key), std::move(*cert)};
    report.kept.push_back(ca_key_path);
    report.kept.push_back(ca_cert_path);
  } else {
    if ((have_ca_key || have_ca_cert) && !options.force) {
      // Half a CA cannot sign anything, and silently replacing the half that exists would
      // orphan every certificate it issued.
      return Status::AlreadyExists(
          (have_ca_key ? ca_key_path : ca_cert_path) + " exists but " +
          (have_ca_key ? ca_cert_path : ca_key_path) +
          " is missing; restore it or rerun with --force to make a new CA");
    }
    auto made = MakeCa(options.valid_days);
    if (!made.ok()) return made.status().WithContext(ca_cert_path);
    ca = std::move(*made);
    DROVER_RETURN_IF_ERROR(WriteKeyAndCert(ca, ca_key_path, ca_cert_path, options.force, report));
    new_ca = true;
  }

  for (const auto& host : options.hosts) {
    const std::string key_path = tls_dir + "/" + host + ".key";
    const std::string cert_path = tls_dir + "/" + host + ".crt";
    // Under a new CA an old host certificate would no longer verify, so it is replaced too.
    if (!options.force && !new_ca && Exists(key_path) && Exists(cert_path)) {
      report.kept.push_back(key_path);
      report.kept.push_back(cert_path);
      continue;
    }
    auto made = MakeHostCert(host, ca, options.valid_days);
    if (!made.ok()) return made.status().WithContext(cert_path);
    DROVER_RETURN_IF_ERROR(WriteKeyAndCert(*made, key_path, cert_path, options.force, report));
  }
  return report;
}

}  // namespace drover
