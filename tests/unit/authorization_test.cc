#include "ctld/authorization.h"

#include <gtest/gtest.h>

namespace drover::ctld {
namespace {

Identity User(uint32_t uid, std::string name) { return {uid, uid, {uid}, std::move(name), "login1", {}}; }

v1::JobInfo Job(uint64_t id, uint32_t uid) {
  v1::JobInfo j;
  j.set_job_id(id);
  j.set_uid(uid);
  j.set_user(uid == 1000 ? "alice" : "bob");
  j.mutable_spec()->set_name("sim");
  j.mutable_spec()->set_work_dir("/home/alice/secret-project");
  j.mutable_spec()->set_stdout_pattern("/home/alice/out-%j.txt");
  j.mutable_spec()->add_script_args("--token=abc");
  j.mutable_spec()->set_comment("grant 1234");
  j.set_node_list("node1");
  return j;
}

TEST(AuthorizationTest, OwnersRootAndOperatorsMayAct) {
  Config c;
  c.operators = {"carol"};
  EXPECT_TRUE(MayActOn(c, User(1000, "alice"), 1000));
  EXPECT_FALSE(MayActOn(c, User(1001, "bob"), 1000));
  EXPECT_TRUE(MayActOn(c, User(0, "root"), 1000));
  EXPECT_TRUE(MayActOn(c, User(1002, "carol"), 1000));
  EXPECT_TRUE(IsOperator(c, User(1002, "carol")));
  EXPECT_FALSE(IsOperator(c, User(1000, "alice")));
}

TEST(AuthorizationTest, OthersSeeJobsWithoutTheirPrivateDetails) {
  Config c;
  v1::QueryJobsResponse r;
  *r.add_jobs() = Job(1, 1000);
  *r.add_jobs() = Job(2, 1001);
  r.add_priorities()->set_job_id(1);
  ApplyVisibility(c, User(1001, "bob"), &r);
  ASSERT_EQ(r.jobs_size(), 2);
  const v1::JobInfo& alices = r.jobs(0);
  EXPECT_EQ(alices.spec().name(), "sim");
  EXPECT_EQ(alices.node_list(), "node1");
  EXPECT_EQ(alices.spec().work_dir(), "");
  EXPECT_EQ(alices.spec().stdout_pattern(), "");
  EXPECT_EQ(alices.spec().script_args_size(), 0);
  EXPECT_EQ(alices.spec().comment(), "");
  EXPECT_EQ(r.jobs(1).spec().work_dir(), "/home/alice/secret-project");  // bob's own, intact
  EXPECT_EQ(r.priorities_size(), 1);
}

TEST(AuthorizationTest, PrivateJobsHidesOthersJobsAndTheirPriorities) {
  Config c;
  c.private_jobs = true;
  v1::QueryJobsResponse r;
  *r.add_jobs() = Job(1, 1000);
  *r.add_jobs() = Job(2, 1001);
  *r.add_jobs() = Job(3, 1000);
  r.add_priorities()->set_job_id(1);
  r.add_priorities()->set_job_id(2);
  ApplyVisibility(c, User(1001, "bob"), &r);
  ASSERT_EQ(r.jobs_size(), 1);
  EXPECT_EQ(r.jobs(0).job_id(), 2u);
  ASSERT_EQ(r.priorities_size(), 1);
  EXPECT_EQ(r.priorities(0).job_id(), 2u);

  v1::QueryJobsResponse all;
  *all.add_jobs() = Job(1, 1000);
  ApplyVisibility(c, User(0, "root"), &all);
  EXPECT_EQ(all.jobs(0).spec().work_dir(), "/home/alice/secret-project");
}

TEST(AuthorizationTest, AccountingAnswersFollowTheSameRules) {
  Config c;
  v1::QueryAcctResponse r;
  *r.add_jobs() = Job(1, 1000);
  ApplyVisibility(c, User(1001, "bob"), &r);
  ASSERT_EQ(r.jobs_size(), 1);
  EXPECT_EQ(r.jobs(0).spec().work_dir(), "");
}

}  // namespace
}  // namespace drover::ctld
