// NameCache: uid and gid to name, remembered for a while.
//
// ctld resolves the names of every request's user and groups (partition access, operators,
// squeue's user column). Through NSS that reads /etc/passwd and /etc/group on every request,
// which at thousands of submissions a second costs more than the rest of the submission. A
// name is kept for `ttl` (as nscd would), so a renamed user or group is seen within that time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace drover::ctld {

class NameCache {
 public:
  using Lookup = std::function<std::string(uint32_t)>;
  // `lookup` resolves an id that is not cached (or expired); `max_entries` bounds memory: when
  // full, the cache starts over.
  NameCache(Lookup lookup, std::chrono::seconds ttl, size_t max_entries = 65536);
  std::string Get(uint32_t id, MonotonicTime now);

 private:
  struct Entry {
    std::string name;
    MonotonicTime expires;
  };
  Lookup lookup_;
  std::chrono::seconds ttl_;
  size_t max_entries_;
  std::unordered_map<uint32_t, Entry> entries_;
};

}  // namespace drover::ctld
