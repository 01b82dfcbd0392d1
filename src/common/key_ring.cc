#include "common/key_ring.h"

#include <cstdio>

namespace drover {
namespace {

std::string IdText(uint32_t id) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", id);
  return buf;
}

}  // namespace

std::string KeyRing::Describe() const {
  std::string out;
  for (const ClusterKey& k : accepted) {
    if (!out.empty()) out += ", ";
    out += IdText(k.id);
    if (k.id == signing.id) out += " (signs)";
  }
  return out;
}

Result<KeyRing> LoadKeyRing(const Config& config) {
  auto current = LoadClusterKey(config.key_file);
  if (!current.ok()) return current.status().WithContext("key_file");
  KeyRing ring;
  ring.signing = *current;
  ring.accepted.push_back(*current);
  if (!config.next_key_file.empty()) {
    auto next = LoadClusterKey(config.next_key_file);
    if (!next.ok()) return next.status().WithContext("next_key_file");
    // The same key twice is harmless to verification but almost certainly a rotation step
    // done wrong (the new key never copied), which the admin wants to hear about now.
    if (next->id == current->id) {
      return Status::InvalidArgument("next_key_file " + config.next_key_file +
                                     " holds the same key as key_file " + config.key_file +
                                     ": copy the new key there, or remove next_key_file");
    }
    ring.accepted.push_back(*next);
  }
  return ring;
}

}  // namespace drover
