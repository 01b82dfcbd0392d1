// The job credential: ctld's signed statement "job J, step S runs as uid U / gid G / groups
// [..] on exactly these cores and this memory of these nodes, until time T". noded checks it
// before starting anything, so that a launch request whose identity or resources were changed
// on the way — or made up by anything that is not the controller — starts nothing even if the
// TLS channel it arrived on were compromised. Pure: no I/O, `now` is a parameter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/credential.h"
#include "common/status.h"

namespace drover {

// Slurm's id for the batch script's step, so that a batch launch and step 0 differ.
inline constexpr uint32_t kBatchStepId = 0xfffffffb;

struct JobCredentialNode {
  std::string node;
  std::vector<uint32_t> core_ids;
  uint64_t memory_mb = 0;
};

struct JobCredentialFields {
  uint64_t job_id = 0;
  uint32_t step_id = kBatchStepId;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;
  std::vector<JobCredentialNode> nodes;
  int64_t expires_at_ms = 0;
  uint32_t key_id = 0;
  std::string mac;
};

// Sets key_id and mac.
void SignJobCredential(const ClusterKey& key, JobCredentialFields& fields);

// What the launch asks for, to be compared with the credential.
struct LaunchClaim {
  uint64_t job_id = 0;
  uint32_t step_id = kBatchStepId;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;
  std::string node;  // the node checking (this one)
  std::vector<uint32_t> core_ids;
  uint64_t memory_mb = 0;
};

// OK if `cred` was signed by one of `keys`, has not expired (allowing `skew_s`), and says
// exactly what `claim` asks for on `claim.node`. PermissionDenied otherwise, naming the field
// that differs.
Status VerifyJobCredential(const std::vector<ClusterKey>& keys, const JobCredentialFields& cred,
                           const LaunchClaim& claim, int64_t now_ms, uint32_t skew_s);

}  // namespace drover
