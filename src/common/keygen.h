// Cluster key material: the HMAC key for credentials, a cluster CA, and one TLS certificate
// per host, made with OpenSSL. Used by `drover keygen` and `drover local up`.
//
// Layout under `dir`:
//   cluster.key         32 random bytes, mode 0400
//   tls/ca.crt          the cluster CA certificate, mode 0644
//   tls/ca.key          its private key, mode 0400
//   tls/<host>.crt      host certificate, CN and DNS SAN = host, signed by the CA, mode 0644
//   tls/<host>.key      its private key, mode 0400
// Existing files are kept (a second run only adds missing hosts), unless `force`.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace drover {

struct KeygenOptions {
  std::string dir;
  std::vector<std::string> hosts;
  int valid_days = 3650;
  bool force = false;
};

struct KeygenReport {
  std::vector<std::string> created;  // paths written
  std::vector<std::string> kept;     // paths that existed and were left alone
};

Result<KeygenReport> GenerateClusterKeys(const KeygenOptions& options);

}  // namespace drover
