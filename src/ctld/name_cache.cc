#include "ctld/name_cache.h"

namespace drover::ctld {

NameCache::NameCache(Lookup lookup, std::chrono::seconds ttl, size_t max_entries)
    : lookup_(std::move(lookup)), ttl_(ttl), max_entries_(max_entries) {}

std::string NameCache::Get(uint32_t id, MonotonicTime now) {
  auto it = entries_.find(id);
  if (it != entries_.end() && now < it->second.expires) return it->second.name;
  std::string name = lookup_(id);
  if (it != entries_.end()) {
    it->second = {name, now + ttl_};
    return name;
  }
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_.emplace(id, Entry{name, now + ttl_});
  return name;
}

}  // namespace drover::ctld
