#include "common/job_credential_proto.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// A step launch as ctld sends it to node1: step 3 of job 42, owned by uid 1000, inside a job
// that holds cores 4-7 and 2 GB there.
class StepLaunchCredentialTest : public ::testing::Test {
 protected:
  StepLaunchCredentialTest() {
    launch_.set_job_id(42);
    launch_.set_step_id(3);
    launch_.set_uid(1000);
    launch_.set_gid(1000);
    launch_.add_groups(27);
    v1::LaunchJobRequest& job = *launch_.mutable_job();
    job.set_job_id(42);
    job.set_uid(1000);
    job.set_gid(1000);
    v1::NodeAllocation& a = *job.add_allocation();
    a.set_node("node1");
    for (uint32_t c : {4u, 5u, 6u, 7u}) a.add_core_ids(c);
    a.set_memory_mb(2048);
    Sign(3);
  }

  void Sign(uint32_t step_id) {
    *launch_.mutable_job_credential() = SignGrant(key_, 42, step_id, 1000, 1000, {27},
                                                  launch_.job().allocation(), kNow + 60'000);
  }

  Status Verify() { return VerifyStepLaunchCredential(launch_, "node1", {key_}, kNow, 60); }

  ClusterKey key_{KeyIdOf(std::string(32, 'k')), std::string(32, 'k')};
  v1::LaunchStepRequest launch_;
};

TEST_F(StepLaunchCredentialTest, TheStepItWasSignedForVerifies) { EXPECT_TRUE(Verify().ok()); }

TEST_F(StepLaunchCredentialTest, AStepLaunchWithoutCredentialIsRefused) {
  launch_.clear_job_credential();
  EXPECT_NE(Verify().message().find("no job credential"), std::string::npos);
}

TEST_F(StepLaunchCredentialTest, AGrantForAnotherStepOrTheBatchScriptIsRefused) {
  Sign(4);
  EXPECT_EQ(Verify().code(), StatusCode::kPermissionDenied);
  Sign(kBatchStepId);
  EXPECT_EQ(Verify().code(), StatusCode::kPermissionDenied);
}

TEST_F(StepLaunchCredentialTest, ChangedOwnerOrCoresAreRefused) {
  launch_.set_uid(0);
  launch_.mutable_job()->set_uid(0);
  EXPECT_EQ(Verify().code(), StatusCode::kPermissionDenied);
  launch_.set_uid(1000);
  launch_.mutable_job()->set_uid(1000);
  launch_.mutable_job()->mutable_allocation(0)->add_core_ids(0);
  EXPECT_EQ(Verify().code(), StatusCode::kPermissionDenied);
}

TEST_F(StepLaunchCredentialTest, AJobPartNamingAnotherJobIsRefused) {
  launch_.mutable_job()->set_job_id(41);
  EXPECT_NE(Verify().message().find("another job"), std::string::npos);
}

TEST(BatchLaunchCredentialTest, StillVerifiesAsBefore) {
  ClusterKey key{KeyIdOf(std::string(32, 'k')), std::string(32, 'k')};
  v1::LaunchJobRequest launch;
  launch.set_job_id(7);
  launch.set_uid(1000);
  launch.set_gid(100);
  v1::NodeAllocation& a = *launch.add_allocation();
  a.set_node("node2");
  a.add_core_ids(0);
  a.set_memory_mb(512);
  *launch.mutable_job_credential() =
      SignGrant(key, 7, kBatchStepId, 1000, 100, {}, launch.allocation(), kNow + 60'000);
  EXPECT_TRUE(VerifyLaunchCredential(launch, "node2", {key}, kNow, 60).ok());
  EXPECT_FALSE(VerifyLaunchCredential(launch, "node2", {key}, kNow + 600'000, 60).ok());
}

}  // namespace
}  // namespace drover
