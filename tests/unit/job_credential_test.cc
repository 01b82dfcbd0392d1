#include "common/job_credential.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

class JobCredentialTest : public ::testing::Test {
 protected:
  JobCredentialTest() {
    cred_.job_id = 42;
    cred_.uid = 1000;
    cred_.gid = 1000;
    cred_.groups = {27, 1000};
    cred_.nodes = {{"node1", {4, 5, 6, 7}, 2048}, {"node2", {0, 1}, 1024}};
    cred_.expires_at_ms = kNow + 300'000;
    SignJobCredential(key_, cred_);
    claim_.job_id = 42;
    claim_.uid = 1000;
    claim_.gid = 1000;
    claim_.groups = {27, 1000};
    claim_.node = "node1";
    claim_.core_ids = {4, 5, 6, 7};
    claim_.memory_mb = 2048;
  }

  Status Verify(int64_t now = kNow) { return VerifyJobCredential({key_}, cred_, claim_, now, 60); }

  ClusterKey key_{KeyIdOf(std::string(32, 'k')), std::string(32, 'k')};
  JobCredentialFields cred_;
  LaunchClaim claim_;
};

TEST_F(JobCredentialTest, MatchingLaunchVerifies) {
  EXPECT_TRUE(Verify().ok()) << Verify().message();
  claim_.node = "node2";
  claim_.core_ids = {0, 1};
  claim_.memory_mb = 1024;
  EXPECT_TRUE(Verify().ok()) << Verify().message();
}

TEST_F(JobCredentialTest, EveryChangedFieldIsRefusedByName) {
  struct Case {
    std::function<void(LaunchClaim&)> change;
    std::string says;
  };
  const std::vector<Case> cases = {
      {[](LaunchClaim& c) { c.uid = 0; }, "uid"},
      {[](LaunchClaim& c) { c.gid = 0; }, "gid"},
      {[](LaunchClaim& c) { c.groups.push_back(0); }, "group"},
      {[](LaunchClaim& c) { c.job_id = 43; }, "job id"},
      {[](LaunchClaim& c) { c.step_id = 0; }, "step id"},
      {[](LaunchClaim& c) { c.core_ids = {0, 1, 2, 3}; }, "core list"},
      {[](LaunchClaim& c) { c.memory_mb = 4096; }, "memory"},
      {[](LaunchClaim& c) { c.node = "node4"; }, "does not include node node4"},
  };
  for (const Case& c : cases) {
    LaunchClaim saved = claim_;
    c.change(claim_);
    Status s = Verify();
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << c.says;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
    claim_ = saved;
  }
}

TEST_F(JobCredentialTest, ModifiedCredentialDoesNotVerify) {
  cred_.uid = 0;  // a tampered grant, claim changed to match
  claim_.uid = 0;
  EXPECT_NE(Verify().message().find("does not verify"), std::string::npos);
}

TEST_F(JobCredentialTest, ExpiredCredentialRefusedWithClockHint) {
  Status s = Verify(kNow + 300'000 + 61'000);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("clocks"), std::string::npos) << s.message();
  EXPECT_TRUE(Verify(kNow + 300'000 + 59'000).ok());  // within the allowed skew
}

TEST_F(JobCredentialTest, UnknownKeyRefused) {
  ClusterKey other{KeyIdOf(std::string(32, 'o')), std::string(32, 'o')};
  SignJobCredential(other, cred_);
  EXPECT_NE(Verify().message().find("unknown cluster key"), std::string::npos);
  EXPECT_TRUE(VerifyJobCredential({key_, other}, cred_, claim_, kNow, 60).ok());
}

TEST_F(JobCredentialTest, SameKeyIdWithOtherBytesDoesNotVerify) {
  ClusterKey impostor{key_.id, std::string(32, 'x')};
  SignJobCredential(impostor, cred_);
  EXPECT_NE(Verify().message().find("does not verify"), std::string::npos);
}

}  // namespace
}  // namespace drover
