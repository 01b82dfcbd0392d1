// cgroups.parent: `auto` under systemd's delegation (DelegateSubgroup=noded, a delegated scope)
// and elsewhere, on a fake /proc and cgroup v2 tree in a temp directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/file_system.h"
#include "noded/cgroup_fs.h"
#include "noded/cgroup_placement.h"
#include "temp_tree.h"

namespace drover::noded {
namespace {

namespace fs = std::filesystem;

class FakeHost : public drover::test_support::TempTree {
 public:
  FakeHost() : TempTree("drover-placement-test") {
    Put("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
    Put("sys/fs/cgroup/cgroup.subtree_control", "");
    Put("sys/fs/cgroup/cgroup.procs", "");
  }
  std::string cgroup_root() const { return root() + "/sys/fs/cgroup"; }
};

const std::string kUnit = "system.slice/drover-noded.service";

TEST(CgroupPlacementTest, ParsesTheV2LineOfProcSelfCgroup) {
  EXPECT_EQ(ParseOwnCgroupV2("0::/system.slice/drover-noded.service/noded\n"),
            "/system.slice/drover-noded.service/noded");
  // A hybrid host lists v1 hierarchies first.
  EXPECT_EQ(ParseOwnCgroupV2("12:memory:/x\n1:name=systemd:/x\n0::/x\n"), "/x");
  EXPECT_FALSE(ParseOwnCgroupV2("12:memory:/x\n3:cpuset:/\n"));
}

TEST(CgroupPlacementTest, AnExplicitParentIsUsedAsIs) {
  const auto p = PlaceJobCgroups("site/jobs", 2, "/" + kUnit + "/noded", true);
  EXPECT_EQ(p.parent, "site/jobs");
  EXPECT_EQ(p.move_self_to, "");
}

TEST(CgroupPlacementTest, AutoUsesTheUnitSystemdDelegatedWithASubgroup) {
  const auto p = PlaceJobCgroups("auto", 2, "/" + kUnit + "/noded", false);
  EXPECT_EQ(p.parent, kUnit + "/jobs");
  EXPECT_EQ(p.move_self_to, "");  // systemd started noded in the leaf already
}

TEST(CgroupPlacementTest, AutoMovesNodedOutOfADelegatedScope) {
  const auto p = PlaceJobCgroups("auto", 2, "/system.slice/run-r1.scope", true);
  EXPECT_EQ(p.parent, "system.slice/run-r1.scope/jobs");
  EXPECT_EQ(p.move_self_to, "system.slice/run-r1.scope/noded");
}

TEST(CgroupPlacementTest, AutoFallsBackToTheFixedPath) {
  // A delegated unit without the subgroup: moving out would stop systemd from restarting noded
  // while jobs run, so the jobs go to the fixed path and the log says what to set.
  auto p = PlaceJobCgroups("auto", 2, "/" + kUnit, true);
  EXPECT_EQ(p.parent, "drover");
  EXPECT_NE(p.note.find("DelegateSubgroup=noded"), std::string::npos) << p.note;
  EXPECT_EQ(PlaceJobCgroups("auto", 2, "/" + kUnit, false).parent, "drover");         // not delegated
  EXPECT_EQ(PlaceJobCgroups("auto", 2, "/user.slice/user-0.slice/session-3.scope", false).parent, "drover");
  EXPECT_EQ(PlaceJobCgroups("auto", 2, "/", false).parent, "drover");                  // no systemd
  EXPECT_EQ(PlaceJobCgroups("auto", 2, std::nullopt, false).parent, "drover");
  EXPECT_EQ(PlaceJobCgroups("auto", 1, "/" + kUnit + "/noded", true).parent, "drover");  // v1
}

TEST(CgroupPlacementTest, ReadsProcSelfCgroupThroughTheFileSystem) {
  FakeHost host;
  host.Put("proc/self/cgroup", "0::/" + kUnit + "/noded\n");
  RootedFileSystem rooted(host.root());
  const CgroupMounts mounts = ProbeCgroupRoot(host.cgroup_root());
  ASSERT_EQ(mounts.version, 2);
  EXPECT_EQ(ResolveCgroupPlacement(rooted, "auto", mounts).parent, kUnit + "/jobs");
  EXPECT_EQ(ResolveCgroupPlacement(rooted, "drover", mounts).parent, "drover");
  host.Put("proc/self/cgroup", "0::/\n");
  EXPECT_EQ(ResolveCgroupPlacement(rooted, "auto", mounts).parent, "drover");
}

TEST(CgroupPlacementTest, JobCgroupsAreMadeInsideTheDelegatedScopeAfterNodedLeftIt) {
  FakeHost host;
  const std::string scope = "system.slice/run-r1.scope";
  host.Put("sys/fs/cgroup/" + scope + "/cgroup.procs", "");
  host.Put("sys/fs/cgroup/" + scope + "/cgroup.subtree_control", "");
  const CgroupMounts mounts = ProbeCgroupRoot(host.cgroup_root());
  const CgroupPlacement p = PlaceJobCgroups("auto", 2, "/" + scope, true);
  ASSERT_TRUE(MoveSelf(mounts, p, 4242).ok());
  EXPECT_EQ(host.Get("sys/fs/cgroup/" + scope + "/noded/cgroup.procs"), "4242");

  CgroupFs cgroups(mounts, p.parent, "node1");
  ASSERT_TRUE(cgroups.Init().ok());
  CgroupLimits limits;
  limits.memory_bytes = 1 << 20;
  ASSERT_TRUE(cgroups.Create(7, limits).ok());
  EXPECT_TRUE(host.Has("sys/fs/cgroup/" + scope + "/jobs/node1/job_7"));
  EXPECT_EQ(host.Get("sys/fs/cgroup/" + scope + "/jobs/node1/job_7/memory.max"), "1048576");
  // The scope passes the controllers on (it has no process of its own any more); a fake file
  // keeps only the last of the writes.
  EXPECT_EQ(host.Get("sys/fs/cgroup/" + scope + "/cgroup.subtree_control"), "+pids");
  EXPECT_EQ(cgroups.ListJobs(), std::vector<uint64_t>{7});
  EXPECT_FALSE(host.Has("sys/fs/cgroup/drover"));
}

TEST(CgroupPlacementTest, NothingToMoveIsOk) {
  CgroupMounts none;
  EXPECT_TRUE(MoveSelf(none, PlaceJobCgroups("drover", 0, std::nullopt, false), 1).ok());
}

}  // namespace
}  // namespace drover::noded
