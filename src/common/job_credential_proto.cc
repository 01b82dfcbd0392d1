#include "common/job_credential_proto.h"

namespace drover {

JobCredentialFields JobCredentialFromProto(const v1::JobCredential& c) {
  JobCredentialFields f;
  f.job_id = c.job_id();
  f.step_id = c.step_id();
  f.uid = c.uid();
  f.gid = c.gid();
  f.groups.assign(c.groups().begin(), c.groups().end());
  for (const v1::JobCredentialNode& n : c.nodes()) {
    f.nodes.push_back({n.node(), {n.core_ids().begin(), n.core_ids().end()}, n.memory_mb()});
  }
  f.expires_at_ms = c.expires_at_ms();
  f.key_id = c.key_id();
  f.mac = c.mac();
  return f;
}

v1::JobCredential SignGrant(const ClusterKey& key, uint64_t job_id, uint32_t step_id,
                            uint32_t uid, uint32_t gid, const std::vector<uint32_t>& groups,
                            const google::protobuf::RepeatedPtrField<v1::NodeAllocation>& allocation,
                            int64_t expires_at_ms) {
  JobCredentialFields f;
  f.job_id = job_id;
  f.step_id = step_id;
  f.uid = uid;
  f.gid = gid;
  f.groups = groups;
  for (const v1::NodeAllocation& a : allocation) {
    f.nodes.push_back({a.node(), {a.core_ids().begin(), a.core_ids().end()}, a.memory_mb()});
  }
  f.expires_at_ms = expires_at_ms;
  SignJobCredential(key, f);

  v1::JobCredential c;
  c.set_job_id(f.job_id);
  c.set_step_id(f.step_id);
  c.set_uid(f.uid);
  c.set_gid(f.gid);
  for (uint32_t g : f.groups) c.add_groups(g);
  for (const JobCredentialNode& n : f.nodes) {
    v1::JobCredentialNode* out = c.add_nodes();
    out->set_node(n.node);
    for (uint32_t core : n.core_ids) out->add_core_ids(core);
    out->set_memory_mb(n.memory_mb);
  }
  c.set_expires_at_ms(f.expires_at_ms);
  c.set_key_id(f.key_id);
  c.set_mac(f.mac);
  return c;
}

namespace {

Status VerifyGrant(const v1::JobCredential* credential, uint64_t job_id, uint32_t step_id,
                   uint32_t uid, uint32_t gid,
                   const google::protobuf::RepeatedField<uint32_t>& groups,
                   const google::protobuf::RepeatedPtrField<v1::NodeAllocation>& allocation,
                   const std::string& node, const std::vector<ClusterKey>& keys, int64_t now_ms,
                   uint32_t skew_s) {
  if (credential == nullptr) {
    return Status::PermissionDenied("launch refused: it carries no job credential");
  }
  LaunchClaim claim;
  claim.job_id = job_id;
  claim.step_id = step_id;
  claim.uid = uid;
  claim.gid = gid;
  claim.groups.assign(groups.begin(), groups.end());
  claim.node = node;
  for (const v1::NodeAllocation& a : allocation) {
    if (a.node() != node) continue;
    claim.core_ids.assign(a.core_ids().begin(), a.core_ids().end());
    claim.memory_mb = a.memory_mb();
  }
  return VerifyJobCredential(keys, JobCredentialFromProto(*credential), claim, now_ms, skew_s);
}

}  // namespace

Status VerifyLaunchCredential(const v1::LaunchJobRequest& launch, const std::string& node,
                              const std::vector<ClusterKey>& keys, int64_t now_ms,
                              uint32_t skew_s) {
  return VerifyGrant(launch.has_job_credential() ? &launch.job_credential() : nullptr,
                     launch.job_id(), kBatchStepId, launch.uid(), launch.gid(), launch.groups(),
                     launch.allocation(), node, keys, now_ms, skew_s);
}

Status VerifyStepLaunchCredential(const v1::LaunchStepRequest& launch, const std::string& node,
                                  const std::vector<ClusterKey>& keys, int64_t now_ms,
                                  uint32_t skew_s) {
  // The step runs inside the job's allocation: the job part of the request must be the same
  // job and owner, or a valid step grant could carry another job's cgroup and cores.
  if (launch.job().job_id() != launch.job_id() || launch.job().uid() != launch.uid() ||
      launch.job().gid() != launch.gid()) {
    return Status::PermissionDenied("step launch refused: its job part names another job or user");
  }
  return VerifyGrant(launch.has_job_credential() ? &launch.job_credential() : nullptr,
                     launch.job_id(), launch.step_id(), launch.uid(), launch.gid(),
                     launch.groups(), launch.job().allocation(), node, keys, now_ms, skew_s);
}

}  // namespace drover
