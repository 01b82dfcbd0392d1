// The cluster keys a daemon holds: the one it signs with and every one it accepts.
//
// Key rotation without downtime (docs/security.md): put the new key on every host as
// `next_key_file` and reload (SIGHUP) — every host now accepts both; then make it `key_file`
// (with the old one as `next_key_file` until every host has reloaded) — hosts sign with the
// new key; finally drop the old one.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/credential.h"
#include "common/status.h"

namespace drover {

struct KeyRing {
  ClusterKey signing;
  std::vector<ClusterKey> accepted;  // signing first

  // "1a2b3c4d (signs), 5e6f7a8b" for logs.
  std::string Describe() const;
};

// Loads key_file and, if set, next_key_file. Errors name the file and the setting.
Result<KeyRing> LoadKeyRing(const Config& config);

}  // namespace drover
