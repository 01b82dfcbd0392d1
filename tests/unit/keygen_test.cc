#include "common/keygen.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace drover {
namespace {

namespace fs = std::filesystem;

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

X509Ptr LoadCert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  X509Ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

PkeyPtr LoadKey(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  PkeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return key;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string CommonName(X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return buf;
}

// Verifies `cert` against `ca` alone, as a peer would with the cluster CA as its trust store.
bool VerifiesAgainst(X509* cert, X509* ca) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class KeygenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drover-keygen-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/keys";  // not there yet: keygen creates it
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  KeygenOptions Options(std::vector<std::string> hosts, bool force = false) {
    KeygenOptions options;
    options.dir = dir_;
    options.hosts = std::move(hosts);
    options.force = force;
    return options;
  }

  std::string root_;
  std::string dir_;
};

TEST_F(KeygenTest, CreatesFilesWithModes) {
  auto report = GenerateClusterKeys(Options({"node1", "node3"}));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->kept.empty());
  EXPECT_EQ(report->created.size(), 7u);

  EXPECT_EQ(ModeOf(dir_ + "/cluster.key"), 0400);
  EXPECT_EQ(ReadFile(dir_ + "/cluster.key").size(), 32u);
  EXPECT_EQ(ModeOf(dir_ + "/tls/ca.crt"), 0644);
  EXPECT_EQ(ModeOf(dir_ + "/tls/ca.key"), 0400);
  for (const std::string host : {"node1", "node3"}) {
    EXPECT_EQ(ModeOf(dir_ + "/tls/" + host + ".crt"), 0644) << host;
    EXPECT_EQ(ModeOf(dir_ + "/tls/" + host + ".key"), 0400) << host;
    EXPECT_TRUE(Contains(report->created, dir_ + "/tls/" + host + ".crt"));
  }
  // No temporary files left behind.
  for (const auto& entry : fs::directory_iterator(dir_ + "/tls")) {
    EXPECT_EQ(entry.path().extension() == ".tmp", false) << entry.path();
  }
}

TEST_F(KeygenTest, ModesHoldUnderPermissiveUmask) {
  const mode_t old = ::umask(0);
  auto report = GenerateClusterKeys(Options({"node1"}));
  ::umask(old);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(ModeOf(dir_ + "/cluster.key"), 0400);
  EXPECT_EQ(ModeOf(dir_ + "/tls/node1.key"), 0400);
  EXPECT_EQ(ModeOf(dir_ + "/tls/node1.crt"), 0644);
}

TEST_F(KeygenTest, CaIsSelfSignedCa) {
  ASSERT_TRUE(GenerateClusterKeys(Options({})).ok());
  auto ca = LoadCert(dir_ + "/tls/ca.crt");
  ASSERT_TRUE(ca);
  EXPECT_EQ(CommonName(ca.get()), "drover cluster CA");
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(VerifiesAgainst(ca.get(), ca.get()));
  auto key = LoadKey(dir_ + "/tls/ca.key");
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(ca.get(), key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);
}

TEST_F(KeygenTest, HostCertsVerifyAndCarryName) {
  ASSERT_TRUE(GenerateClusterKeys(Options({"node1", "node3"})).ok());
  auto ca = LoadCert(dir_ + "/tls/ca.crt");
  ASSERT_TRUE(ca);
  for (const std::string host : {"node1", "node3"}) {
    auto cert = LoadCert(dir_ + "/tls/" + host + ".crt");
    auto key = LoadKey(dir_ + "/tls/" + host + ".key");
    ASSERT_TRUE(cert && key) << host;
    EXPECT_TRUE(VerifiesAgainst(cert.get(), ca.get())) << host;
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1) << host;
    EXPECT_EQ(CommonName(cert.get()), host);
    // The name must be a DNS SAN: clients ignore the CN for name checks.
    EXPECT_EQ(X509_check_host(cert.get(), host.c_str(), host.size(),
                              X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr),
              1)
        << host;
    EXPECT_NE(X509_check_host(cert.get(), "node2", 5, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr),
              1);
    EXPECT_NE(X509_check_ca(cert.get()), 1) << host << " must not be a CA";
    const uint32_t xku = X509_get_extended_key_usage(cert.get());
    EXPECT_TRUE(xku & XKU_SSL_SERVER) << host;
    EXPECT_TRUE(xku & XKU_SSL_CLIENT) << host;
  }
  // Serials are random: two certificates from one CA differ.
  auto a = LoadCert(dir_ + "/tls/node1.crt");
  auto b = LoadCert(dir_ + "/tls/node3.crt");
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
}

TEST_F(KeygenTest, RerunKeepsFilesAndAddsNewHosts) {
  ASSERT_TRUE(GenerateClusterKeys(Options({"node1"})).ok());
  const std::string cluster_key = ReadFile(dir_ + "/cluster.key");
  const std::string ca = ReadFile(dir_ + "/tls/ca.crt");
  const std::string node1 = ReadFile(dir_ + "/tls/node1.crt");

  auto report = GenerateClusterKeys(Options({"node1", "node2"}));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(ReadFile(dir_ + "/cluster.key"), cluster_key);
  EXPECT_EQ(ReadFile(dir_ + "/tls/ca.crt"), ca);
  EXPECT_EQ(ReadFile(dir_ + "/tls/node1.crt"), node1);
  EXPECT_TRUE(Contains(report->kept, dir_ + "/cluster.key"));
  EXPECT_TRUE(Contains(report->kept, dir_ + "/tls/node1.crt"));
  EXPECT_TRUE(Contains(report->created, dir_ + "/tls/node2.crt"));
  EXPECT_TRUE(Contains(report->created, dir_ + "/tls/node2.key"));
  EXPECT_EQ(report->created.size(), 2u);

  // The added host is signed by the kept CA.
  auto ca_cert = LoadCert(dir_ + "/tls/ca.crt");
  auto node2 = LoadCert(dir_ + "/tls/node2.crt");
  ASSERT_TRUE(ca_cert && node2);
  EXPECT_TRUE(VerifiesAgainst(node2.get(), ca_cert.get()));
}

TEST_F(KeygenTest, ForceRegenerates) {
  ASSERT_TRUE(GenerateClusterKeys(Options({"node1"})).ok());
  const std::string cluster_key = ReadFile(dir_ + "/cluster.key");
  const std::string ca = ReadFile(dir_ + "/tls/ca.crt");
  const std::string node1 = ReadFile(dir_ + "/tls/node1.crt");

  auto report = GenerateClusterKeys(Options({"node1"}, /*force=*/true));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->kept.empty());
  EXPECT_NE(ReadFile(dir_ + "/cluster.key"), cluster_key);
  EXPECT_NE(ReadFile(dir_ + "/tls/ca.crt"), ca);
  EXPECT_NE(ReadFile(dir_ + "/tls/node1.crt"), node1);
  EXPECT_EQ(ModeOf(dir_ + "/cluster.key"), 0400);
  EXPECT_EQ(ModeOf(dir_ + "/tls/node1.key"), 0400);

  auto ca_cert = LoadCert(dir_ + "/tls/ca.crt");
  auto cert = LoadCert(dir_ + "/tls/node1.crt");
  ASSERT_TRUE(ca_cert && cert);
  EXPECT_TRUE(VerifiesAgainst(cert.get(), ca_cert.get()));
}

TEST_F(KeygenTest, RejectsHostNamesThatAreNotNames) {
  for (const std::string bad : {"", "../etc", "a/b", "ca", "-x", "node 1"}) {
    auto report = GenerateClusterKeys(Options({bad}));
    ASSERT_FALSE(report.ok()) << "'" << bad << "'";
    EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
  EXPECT_FALSE(fs::exists(dir_)) << "nothing is written when an argument is bad";
}

TEST_F(KeygenTest, HalfACaIsAnErrorNamingTheFile) {
  ASSERT_TRUE(GenerateClusterKeys(Options({})).ok());
  fs::remove(dir_ + "/tls/ca.crt");
  auto report = GenerateClusterKeys(Options({"node1"}));
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find(dir_ + "/tls/ca.crt"), std::string::npos)
      << report.status().message();
}

TEST_F(KeygenTest, ErrorNamesThePath) {
  // A file where the directory should be.
  std::ofstream(root_ + "/file") << "x";
  KeygenOptions options;
  options.dir = root_ + "/file";
  auto report = GenerateClusterKeys(options);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find(root_ + "/file"), std::string::npos)
      << report.status().message();
}

}  // namespace
}  // namespace drover
