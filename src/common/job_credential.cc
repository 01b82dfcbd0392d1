#include "common/job_credential.h"

#include <algorithm>

#include "common/canonical_mac.h"

namespace drover {
namespace {

constexpr std::string_view kDomainTag = "drover-jobcred-v1";

std::string ComputeMac(const ClusterKey& key, const JobCredentialFields& f) {
  CanonicalWriter w(kDomainTag);
  w.U32(f.key_id).U64(f.job_id).U32(f.step_id).U32(f.uid).U32(f.gid);
  w.U32(static_cast<uint32_t>(f.groups.size()));
  for (uint32_t g : f.groups) w.U32(g);
  w.U32(static_cast<uint32_t>(f.nodes.size()));
  for (const JobCredentialNode& n : f.nodes) {
    w.Bytes(n.node).U64(n.memory_mb).U32(static_cast<uint32_t>(n.core_ids.size()));
    for (uint32_t c : n.core_ids) w.U32(c);
  }
  w.U64(static_cast<uint64_t>(f.expires_at_ms));
  return HmacSha256(key.bytes, w.str());
}

Status Mismatch(const std::string& what) {
  return Status::PermissionDenied("launch refused: its " + what +
                                  " differs from what the controller's job credential grants");
}

}  // namespace

void SignJobCredential(const ClusterKey& key, JobCredentialFields& fields) {
  fields.key_id = key.id;
  fields.mac = ComputeMac(key, fields);
}

Status VerifyJobCredential(const std::vector<ClusterKey>& keys, const JobCredentialFields& cred,
                           const LaunchClaim& claim, int64_t now_ms, uint32_t skew_s) {
  auto key = std::find_if(keys.begin(), keys.end(),
                          [&](const ClusterKey& k) { return k.id == cred.key_id; });
  if (key == keys.end()) {
    return Status::PermissionDenied(
        "launch refused: job credential signed with an unknown cluster key (id " +
        std::to_string(cred.key_id) + "): check that this node has the controller's key_file");
  }
  if (!MacEquals(ComputeMac(*key, cred), cred.mac)) {
    return Status::PermissionDenied(
        "launch refused: the job credential does not verify (forged or modified)");
  }
  if (cred.expires_at_ms + int64_t{skew_s} * 1000 < now_ms) {
    return Status::PermissionDenied(
        "launch refused: the job credential expired " +
        std::to_string((now_ms - cred.expires_at_ms) / 1000) +
        " s ago: check that the clocks of the controller and this node agree (NTP)");
  }
  if (cred.job_id != claim.job_id) return Mismatch("job id");
  if (cred.step_id != claim.step_id) return Mismatch("step id");
  if (cred.uid != claim.uid) return Mismatch("uid");
  if (cred.gid != claim.gid) return Mismatch("gid");
  if (cred.groups != claim.groups) return Mismatch("supplementary group list");
  auto node = std::find_if(cred.nodes.begin(), cred.nodes.end(),
                           [&](const JobCredentialNode& n) { return n.node == claim.node; });
  if (node == cred.nodes.end()) {
    return Status::PermissionDenied("launch refused: the job credential does not include node " +
                                    claim.node);
  }
  if (node->core_ids != claim.core_ids) return Mismatch("core list for " + claim.node);
  if (node->memory_mb != claim.memory_mb) return Mismatch("memory for " + claim.node);
  return Status::Ok();
}

}  // namespace drover
