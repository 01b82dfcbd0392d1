// CgroupFs against temp directories laid out like /sys/fs/cgroup (v1 and v2), the cgroupfs
// parsers, the OOM/usage decision and stale-cgroup cleanup on a fake manager.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "noded/cgroup_fs.h"
#include "noded/cgroup_manager.h"
#include "noded/cgroup_parse.h"
#include "noded/job_outcome.h"
#include "noded/spool.h"
#include "noded/stepd_options.h"
#include "temp_tree.h"

namespace drover::noded {
namespace {

namespace fs = std::filesystem;

// Every temp tree here is named after this test so a leftover one is easy to attribute.
class TempTree : public drover::test_support::TempTree {
 public:
  TempTree() : drover::test_support::TempTree("drover-cgroup-test") {}
};

// What a host with v1 controllers (this project's CI machines) shows.
void MakeV1(const TempTree& t, bool with_pids = true) {
  for (const char* c : {"cpuset", "memory", "pids", "cpuacct", "freezer"}) {
    if (std::string(c) == "pids" && !with_pids) continue;
    t.Put(std::string(c) + "/cgroup.procs", "");
  }
  t.Put("cpuset/cpuset.cpus", "0-7\n");
  t.Put("cpuset/cpuset.mems", "0\n");
}

void MakeV2(const TempTree& t) {
  t.Put("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  t.Put("cgroup.subtree_control", "");
  t.Put("cgroup.procs", "");
}

TEST(CgroupParseTest, CpuLists) {
  EXPECT_EQ(FormatCpuList({3, 0, 1, 2, 6}), "0-3,6");
  EXPECT_EQ(FormatCpuList({5}), "5");
  EXPECT_EQ(FormatCpuList({}), "");
  EXPECT_EQ(ParseCpuList("0-3,6\n"), (std::vector<uint32_t>{0, 1, 2, 3, 6}));
  EXPECT_EQ(ParseCpuList("\n"), std::vector<uint32_t>{});
  EXPECT_FALSE(ParseCpuList("3-1"));
  EXPECT_FALSE(ParseCpuList("a"));
}

TEST(CgroupParseTest, NumbersKeyedValuesAndPids) {
  EXPECT_EQ(ParseCgroupUint("1048576\n"), 1048576u);
  EXPECT_FALSE(ParseCgroupUint("max\n"));
  EXPECT_FALSE(ParseCgroupUint("99999999999999999999999"));
  const std::string oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
  EXPECT_EQ(ParseKeyedValue(oom_control, "oom_kill"), 2u);
  EXPECT_EQ(ParseKeyedValue("usage_usec 1500000\nuser_usec 1000000\n", "usage_usec"), 1500000u);
  EXPECT_FALSE(ParseKeyedValue("low 0\nhigh 0\n", "oom_kill"));
  EXPECT_EQ(ParsePidList("12\n7\n\nx\n"), (std::vector<pid_t>{12, 7}));
}

TEST(CgroupFsTest, ProbeFindsV1V2OrNothing) {
  TempTree v1, v2, none;
  MakeV1(v1);
  MakeV2(v2);
  EXPECT_EQ(ProbeCgroupRoot(v1.root()).version, 1);
  EXPECT_EQ(ProbeCgroupRoot(v1.root()).v1.size(), 5u);
  EXPECT_EQ(ProbeCgroupRoot(v2.root()).version, 2);
  auto m = ProbeCgroupRoot(none.root());
  EXPECT_EQ(m.version, 0);
  CgroupFs fs(m, "drover", "n1");
  EXPECT_EQ(fs.Support().Describe(), "none (no cgroup controllers found under " + none.root() + ")");
  EXPECT_FALSE(fs.Create(1, {}).ok());
}

TEST(CgroupFsTest, V1CreateWritesEveryControllersFiles) {
  TempTree t;
  MakeV1(t);
  CgroupFs fs(ProbeCgroupRoot(t.root()), "drover", "node1");
  EXPECT_EQ(fs.Support().Describe(), "v1");
  CgroupLimits limits;
  limits.cpus = {3, 2};
  limits.memory_bytes = 100u << 20;
  limits.pids_max = 50;
  auto notes = fs.Create(5, limits);
  ASSERT_TRUE(notes.ok()) << notes.status().message();
  EXPECT_TRUE(notes->empty());
  // A v1 cpuset accepts tasks only once cpus and mems are set, at every level.
  EXPECT_EQ(t.Get("cpuset/drover/cpuset.cpus"), "0-7\n");
  EXPECT_EQ(t.Get("cpuset/drover/node1/cpuset.mems"), "0\n");
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_5/cpuset.cpus"), "2-3");
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_5/cpuset.mems"), "0\n");
  EXPECT_EQ(t.Get("memory/drover/node1/job_5/memory.limit_in_bytes"), "104857600");
  EXPECT_FALSE(t.Has("memory/drover/node1/job_5/memory.memsw.limit_in_bytes"));  // no swap accounting here
  EXPECT_EQ(t.Get("pids/drover/node1/job_5/pids.max"), "50");
  EXPECT_TRUE(t.Has("freezer/drover/node1/job_5"));
  EXPECT_TRUE(t.Has("cpuacct/drover/node1/job_5"));
  EXPECT_EQ(fs.PathFor(5), t.root() + "/memory/drover/node1/job_5");

  ASSERT_TRUE(fs.AddProcess(5, 4242).ok());
  for (const char* c : {"cpuset", "memory", "pids", "cpuacct", "freezer"}) {
    EXPECT_EQ(t.Get(std::string(c) + "/drover/node1/job_5/cgroup.procs"), "4242") << c;
  }
  EXPECT_EQ(fs.Processes(5), std::vector<pid_t>{4242});
  EXPECT_EQ(fs.ListJobs(), std::vector<uint64_t>{5});
}

TEST(CgroupFsTest, V1SwapLimitFollowsTheMemoryLimitWhenSwapIsAccounted) {
  TempTree t;
  MakeV1(t);
  t.Put("memory/drover/node1/job_6/memory.memsw.limit_in_bytes", "9223372036854771712\n");
  CgroupFs fs(ProbeCgroupRoot(t.root()), "drover", "node1");
  CgroupLimits limits;
  limits.memory_bytes = 1u << 30;
  ASSERT_TRUE(fs.Create(6, limits).ok());
  EXPECT_EQ(t.Get("memory/drover/node1/job_6/memory.memsw.limit_in_bytes"), "1073741824");
}

TEST(CgroupFsTest, V1CoresTheHostLacksAreNotedNotWritten) {
  TempTree t;
  MakeV1(t);
  t.Put("cpuset/cpuset.cpus", "0-1\n");
  CgroupFs fs(ProbeCgroupRoot(t.root()), "drover", "node1");
  CgroupLimits limits;
  limits.cpus = {1, 6, 7};
  auto notes = fs.Create(7, limits);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_NE(notes->front().find("confined to 1"), std::string::npos) << notes->front();
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_7/cpuset.cpus"), "1");

  limits.cpus = {6, 7};  // none of them: the job gets the node's cores rather than none
  ASSERT_TRUE(fs.Create(8, limits).ok());
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_8/cpuset.cpus"), "0-1");
}

// A job's cgroup is made without its parents first (they are there after noded's Init and every
// job before); a parent removed or a parent cpuset emptied since is made or filled in again.
TEST(CgroupFsTest, V1ParentsRemovedOrEmptiedSinceTheLastJobAreMadeAgain) {
  TempTree t;
  MakeV1(t);
  CgroupFs fs(ProbeCgroupRoot(t.root()), "drover", "node1");
  ASSERT_TRUE(fs.Init().ok());
  CgroupLimits limits;
  limits.cpus = {2};
  ASSERT_TRUE(fs.Create(1, limits).ok());
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_1/cpuset.cpus"), "2");
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_1/cpuset.mems"), "0\n");

  fs::remove_all(t.root() + "/pids/drover");
  fs::remove_all(t.root() + "/cpuset/drover/node1");
  auto notes = fs.Create(2, limits);
  ASSERT_TRUE(notes.ok()) << notes.status().message();
  EXPECT_TRUE(notes->empty());
  EXPECT_TRUE(t.Has("pids/drover/node1/job_2"));
  EXPECT_EQ(t.Get("cpuset/drover/node1/cpuset.cpus"), "0-7\n");
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_2/cpuset.cpus"), "2");
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_2/cpuset.mems"), "0\n");

  t.Put("cpuset/drover/node1/cpuset.cpus", "");
  t.Put("cpuset/drover/node1/cpuset.mems", "\n");
  ASSERT_TRUE(fs.Create(3, limits).ok());
  EXPECT_EQ(t.Get("cpuset/drover/node1/cpuset.cpus"), "0-7\n");
  EXPECT_EQ(t.Get("cpuset/drover/node1/cpuset.mems"), "0\n");
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_3/cpuset.cpus"), "2");
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_3/cpuset.mems"), "0\n");

  t.Put("cpuset/drover/node1/cpuset.mems", "");  // an unconfined job needs them as well
  ASSERT_TRUE(fs.Create(4, CgroupLimits{}).ok());
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_4/cpuset.cpus"), "0-7\n");
  EXPECT_EQ(t.Get("cpuset/drover/node1/job_4/cpuset.mems"), "0\n");
}

TEST(CgroupFsTest, V1MissingControllerIsReportedAndItsLimitNotClaimed) {
  TempTree t;
  MakeV1(t, /*with_pids=*/false);
  CgroupFs fs(ProbeCgroupRoot(t.root()), "drover", "node1");
  EXPECT_EQ(fs.Support().Describe(), "v1 (missing: pids)");
  CgroupLimits limits;
  limits.pids_max = 10;
  auto notes = fs.Create(1, limits);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ(notes->front(), "no pids controller: the process limit is not enforced");
}

TEST(CgroupFsTest, V1UsageAndOomFromCpuacctAndMemory) {
  TempTree t;
  MakeV1(t);
  CgroupFs fs(ProbeCgroupRoot(t.root()), "drover", "n");
  ASSERT_TRUE(fs.Create(3, {}).ok());
  t.Put("cpuacct/drover/n/job_3/cpuacct.usage", "2500000000\n");
  t.Put("memory/drover/n/job_3/memory.max_usage_in_bytes", "10485760\n");
  t.Put("memory/drover/n/job_3/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  t.Put("memory/drover/n/job_3/memory.failcnt", "17\n");
  CgroupUsage u = fs.Usage(3);
  EXPECT_TRUE(u.have_cpu);
  EXPECT_EQ(u.cpu_ms, 2500u);
  EXPECT_TRUE(u.have_memory);
  EXPECT_EQ(u.max_rss_kb, 10240u);
  EXPECT_EQ(u.oom_kills, 1u);
  EXPECT_EQ(u.mem_failcnt, 17u);
}

TEST(CgroupFsTest, V1KillFreezesKillsAndThaws) {
  TempTree t;
  MakeV1(t);
  CgroupFs fs(ProbeCgroupRoot(t.root()), "drover", "n");
  ASSERT_TRUE(fs.Create(4, {}).ok());
  t.Put("freezer/drover/n/job_4/freezer.state", "THAWED\n");
  ASSERT_TRUE(fs.KillAll(4).ok());  // the fake never reports FROZEN: bounded wait, then on
  EXPECT_EQ(t.Get("freezer/drover/n/job_4/freezer.state"), "THAWED");
}

TEST(CgroupFsTest, V2CreateDelegatesControllersAndWritesLimits) {
  TempTree t;
  MakeV2(t);
  t.Put("drover/node2/cpuset.cpus.effective", "0-3\n");
  CgroupFs fs(ProbeCgroupRoot(t.root()), "drover", "node2");
  EXPECT_EQ(fs.Support().Describe(), "v2");
  CgroupLimits limits;
  limits.cpus = {1};
  limits.memory_bytes = 1u << 30;
  limits.pids_max = 100;
  auto notes = fs.Create(9, limits);
  ASSERT_TRUE(notes.ok()) << notes.status().message();
  EXPECT_TRUE(notes->empty());
  EXPECT_TRUE(t.Has("drover/cgroup.subtree_control"));
  EXPECT_TRUE(t.Has("drover/node2/cgroup.subtree_control"));
  EXPECT_EQ(t.Get("drover/node2/job_9/cpuset.cpus"), "1");
  EXPECT_EQ(t.Get("drover/node2/job_9/memory.max"), "1073741824");
  EXPECT_EQ(t.Get("drover/node2/job_9/pids.max"), "100");
  EXPECT_FALSE(t.Has("drover/node2/job_9/cpuset.mems"));  // v2 inherits mems
  EXPECT_EQ(fs.PathFor(9), t.root() + "/drover/node2/job_9");

  ASSERT_TRUE(fs.AddProcess(9, 77).ok());
  EXPECT_EQ(t.Get("drover/node2/job_9/cgroup.procs"), "77");

  t.Put("drover/node2/job_9/cpu.stat", "usage_usec 1500000\nuser_usec 1400000\nsystem_usec 100000\n");
  t.Put("drover/node2/job_9/memory.peak", "2097152\n");
  t.Put("drover/node2/job_9/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
  CgroupUsage u = fs.Usage(9);
  EXPECT_EQ(u.cpu_ms, 1500u);
  EXPECT_EQ(u.max_rss_kb, 2048u);
  EXPECT_EQ(u.oom_kills, 1u);

  t.Put("drover/node2/job_9/cgroup.kill", "");
  ASSERT_TRUE(fs.KillAll(9).ok());
  EXPECT_EQ(t.Get("drover/node2/job_9/cgroup.kill"), "1");
}

TEST(CgroupFsTest, V2WithoutMemoryControllerSaysSo) {
  TempTree t;
  t.Put("cgroup.controllers", "cpuset cpu pids\n");
  CgroupFs fs(ProbeCgroupRoot(t.root()), "drover", "n");
  EXPECT_EQ(fs.Support().Describe(), "v2 (missing: memory)");
  CgroupLimits limits;
  limits.memory_bytes = 1 << 20;
  auto notes = fs.Create(1, limits);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ(notes->front(), "no memory controller: the memory limit is not enforced");
  EXPECT_FALSE(t.Has("drover/n/job_1/memory.max"));
}

TEST(CgroupFsTest, RemoveTakesAnEmptyJobCgroupAway) {
  TempTree t;
  MakeV1(t);
  CgroupFs fs(ProbeCgroupRoot(t.root()), "drover", "n");
  for (const auto& dir : fs.NodeDirs()) fs::create_directories(dir + "/job_12");
  EXPECT_EQ(fs.ListJobs(), std::vector<uint64_t>{12});
  ASSERT_TRUE(fs.Remove(12).ok());
  EXPECT_TRUE(fs.ListJobs().empty());
  EXPECT_TRUE(fs.Remove(12).ok());  // already gone is fine
}

// A CgroupManager in memory, for the logic that drives one.
class FakeCgroups : public CgroupManager {
 public:
  std::map<uint64_t, std::vector<pid_t>> jobs;
  std::set<uint64_t> killed;

  CgroupSupport Support() const override { return {1, {"cpuset", "memory"}, {}, ""}; }
  Status Init() override { return Status::Ok(); }
  Result<std::vector<std::string>> Create(uint64_t id, const CgroupLimits&) override {
    jobs[id];
    return std::vector<std::string>{};
  }
  Status AddProcess(uint64_t id, pid_t pid) override {
    jobs[id].push_back(pid);
    return Status::Ok();
  }
  std::vector<pid_t> Processes(uint64_t id) const override {
    auto it = jobs.find(id);
    return it == jobs.end() ? std::vector<pid_t>{} : it->second;
  }
  size_t Signal(uint64_t, int) override { return 0; }
  Status KillAll(uint64_t id) override {
    killed.insert(id);
    jobs[id].clear();
    return Status::Ok();
  }
  CgroupUsage Usage(uint64_t) const override { return {}; }
  Status Remove(uint64_t id) override {
    if (!Processes(id).empty()) return Status::IoError("busy");
    jobs.erase(id);
    return Status::Ok();
  }
  std::vector<uint64_t> ListJobs() const override {
    std::vector<uint64_t> ids;
    for (const auto& [id, p] : jobs) ids.push_back(id);
    return ids;
  }
  std::string PathFor(uint64_t id) const override { return "fake/job_" + std::to_string(id); }
};

TEST(RemoveStaleCgroupsTest, KeepsRunningJobsAndKillsLeftoversOfTheRest) {
  FakeCgroups cg;
  cg.jobs = {{1, {100}}, {2, {}}, {3, {300, 301}}};
  EXPECT_EQ(RemoveStaleCgroups(cg, {1}), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(cg.ListJobs(), std::vector<uint64_t>{1});
  EXPECT_EQ(cg.killed, std::set<uint64_t>{3});
}

TEST(JobOutcomeTest, ExitStatusWithoutOom) {
  CgroupUsage none;
  EXPECT_EQ(DecideOutcome(EndCause::kExited, W_EXITCODE(0, 0), none, 0).state, JobState::kCompleted);
  JobResult r = DecideOutcome(EndCause::kExited, W_EXITCODE(3, 0), none, 0);
  EXPECT_EQ(r.state, JobState::kFailed);
  EXPECT_EQ(r.exit_code, 3);
  r = DecideOutcome(EndCause::kExited, W_EXITCODE(0, SIGSEGV), none, 0);
  EXPECT_EQ(r.state, JobState::kFailed);
  EXPECT_EQ(r.exit_signal, SIGSEGV);
}

TEST(JobOutcomeTest, AnOomKillMakesTheJobOutOfMemoryWhateverTheScriptReturned) {
  CgroupUsage u;
  u.oom_kills = 1;
  JobResult r = DecideOutcome(EndCause::kExited, W_EXITCODE(137, 0), u, 100u << 20);
  EXPECT_EQ(r.state, JobState::kOutOfMemory);
  EXPECT_EQ(r.exit_code, 137);
  EXPECT_NE(r.reason.find("OutOfMemory"), std::string::npos);
  EXPECT_EQ(DecideOutcome(EndCause::kExited, W_EXITCODE(0, 0), u, 100u << 20).state, JobState::kOutOfMemory);
  // Asked-for ends win.
  EXPECT_EQ(DecideOutcome(EndCause::kCancelled, 0, u, 100u << 20).state, JobState::kCancelled);
  EXPECT_EQ(DecideOutcome(EndCause::kTimeout, 0, u, 100u << 20).state, JobState::kTimeout);
}

TEST(JobOutcomeTest, OldKernelFallbackNeedsSigkillFailcntAndPeakAtTheLimit) {
  CgroupUsage u;
  u.mem_failcnt = 5;
  u.max_rss_kb = 100 * 1024;
  EXPECT_EQ(DecideOutcome(EndCause::kExited, W_EXITCODE(0, SIGKILL), u, 100u << 20).state, JobState::kOutOfMemory);
  EXPECT_EQ(DecideOutcome(EndCause::kExited, W_EXITCODE(1, 0), u, 100u << 20).state, JobState::kFailed);
  u.max_rss_kb = 10 * 1024;
  EXPECT_EQ(DecideOutcome(EndCause::kExited, W_EXITCODE(0, SIGKILL), u, 100u << 20).state, JobState::kFailed);
}

TEST(JobOutcomeTest, UsagePrefersTheCgroupThenRusage) {
  JobResult r;
  CgroupUsage u;
  FillUsage(r, u, 1234, 5678);
  EXPECT_EQ(r.cpu_ms, 1234u);
  EXPECT_EQ(r.max_rss_kb, 5678u);
  u.have_cpu = u.have_memory = true;
  u.cpu_ms = 2000;
  u.max_rss_kb = 4096;
  FillUsage(r, u, 1234, 5678);
  EXPECT_EQ(r.cpu_ms, 2000u);
  EXPECT_EQ(r.max_rss_kb, 4096u);
}

TEST(JobOutcomeTest, ResultFileCarriesUsageAndNodeFailure) {
  JobResult r = NodeFailureResult("Prolog failed on n1: prolog /p exited with status 3");
  r.cpu_ms = 12;
  r.max_rss_kb = 34;
  auto back = DecodeResult(EncodeResult(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->state, JobState::kFailed);
  EXPECT_TRUE(back->requeue);
  EXPECT_EQ(back->drain_reason, r.drain_reason);
  EXPECT_EQ(back->cpu_ms, 12u);
  EXPECT_EQ(back->max_rss_kb, 34u);
  // A result written before these fields existed still reads.
  auto old = DecodeResult("state=COMPLETED\nexit_code=0\nexit_signal=0\nreason=\n");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->requeue);
  EXPECT_EQ(old->cpu_ms, 0u);
}

TEST(StepdOptionsTest, ArgumentsRoundTrip) {
  StepdOptions o;
  o.job_dir = "/spool/job_3";
  o.spool = "/spool";
  o.node = "node1";
  o.kill_wait_s = 7;
  o.cgroups = false;
  o.cgroup_root = "/cg";
  o.cgroup_parent = "drover/x";
  o.cgroup_v1 = {{"cpuset", "/sys/fs/cgroup/cpuset"}, {"memory", "/cg/mem ory"}};
  o.pids_limit = 99;
  o.prolog = "/p.sh";
  o.epilog = "/e.sh";
  o.prolog_timeout_s = 5;
  auto back = ParseStepdArgs(o.ToArgs());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->ToArgs(), o.ToArgs());
  EXPECT_EQ(back->cgroup_v1, o.cgroup_v1);
  EXPECT_FALSE(ParseStepdArgs({"--node", "n", "--spool", "s", "--cgroup-v1", "cpuset", "/j"}).ok());
  EXPECT_FALSE(ParseStepdArgs({"--node", "n", "--spool", "s"}).ok());
  EXPECT_FALSE(ParseStepdArgs({"--node", "n", "--spool", "s", "--kill-wait", "x", "/j"}).ok());
}

}  // namespace
}  // namespace drover::noded
