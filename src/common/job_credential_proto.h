// Job credentials on the wire: ctld signs what a launch grants, noded checks a launch against
// it (common/job_credential.h holds the pure rules).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/job_credential.h"
#include "drover/v1/drover.pb.h"

namespace drover {

// Signs a grant of `allocation` (every node of the job) to uid/gid/groups for job/step,
// valid until `expires_at_ms`.
v1::JobCredential SignGrant(const ClusterKey& key, uint64_t job_id, uint32_t step_id,
                            uint32_t uid, uint32_t gid, const std::vector<uint32_t>& groups,
                            const google::protobuf::RepeatedPtrField<v1::NodeAllocation>& allocation,
                            int64_t expires_at_ms);

// Checks that `launch` (its job, uid, gid, groups and its allocation on `node`) is what its
// job credential grants. PermissionDenied with the reason otherwise.
Status VerifyLaunchCredential(const v1::LaunchJobRequest& launch, const std::string& node,
                              const std::vector<ClusterKey>& keys, int64_t now_ms,
                              uint32_t skew_s);

// The same for a step launch: the credential must name this step, its owner, and the job's
// cores and memory on `node`.
Status VerifyStepLaunchCredential(const v1::LaunchStepRequest& launch, const std::string& node,
                                  const std::vector<ClusterKey>& keys, int64_t now_ms,
                                  uint32_t skew_s);

JobCredentialFields JobCredentialFromProto(const v1::JobCredential& c);

}  // namespace drover
