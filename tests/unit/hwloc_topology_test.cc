// The hwloc adapter and topology reader on generated fixture trees (HWLOC_FSROOT) and on XML.
// ctest runs each case in its own process, so HWLOC_FSROOT never leaks between cases.
#include "noded/hwloc_topology.h"

#include <gtest/gtest.h>
#include <hwloc.h>
#include <unistd.h>

#include <filesystem>

#include "common/topology_fixtures.h"
#include "noded/topology_reader.h"

namespace drover::noded {
namespace {

class FixtureTree : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drover-topo-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string Write(const std::string& name) {
    RootedFileSystem fs(root_);
    const TopologyFixture* f = FindTopologyFixture(name);
    EXPECT_NE(f, nullptr);
    EXPECT_TRUE(WriteFixtureTree(*f, fs).ok());
    return root_;
  }

  std::string root_;
};

// hwloc + Linux facts on the generated tree give what the fixture's table says.
TEST_F(FixtureTree, EveryFixtureReadsBackAsItsTable) {
  for (const auto& fixture : TopologyFixtures()) {
    SCOPED_TRACE(fixture.name);
    std::filesystem::remove_all(root_ + "/sys");
    std::filesystem::remove_all(root_ + "/proc");
    Write(fixture.name);
    auto t = ReadNodeTopology(root_);
    ASSERT_TRUE(t.ok()) << t.status().message();
    const NodeTopology want = BuildTopology(FixtureFacts(fixture));
    EXPECT_EQ(t->packages, fixture.packages);
    EXPECT_EQ(t->clusters, fixture.clusters);
    EXPECT_EQ(t->cores, want.cores);
    EXPECT_EQ(t->cpus, want.cpus);
    EXPECT_EQ(t->memory_mb, fixture.mem_total_kb / 1024);
    ASSERT_EQ(t->kinds.size(), want.kinds.size());
    for (size_t i = 0; i < want.kinds.size(); ++i) {
      EXPECT_EQ(t->kinds[i].name, want.kinds[i].name);
      EXPECT_EQ(t->kinds[i].core_type, want.kinds[i].core_type);
      EXPECT_EQ(t->kinds[i].cpu_ids, want.kinds[i].cpu_ids);
      EXPECT_EQ(t->kinds[i].cores, want.kinds[i].cores);
    }
    // The entry noded prints equals the table's apart from the comments (hwloc folds the
    // 5.2 GHz P-cores into the 5.0 GHz kind).
    const auto yaml = [](const std::string& entry) { return entry.substr(entry.find("\nkinds:") != std::string::npos ? entry.find("\nkinds:") : entry.find("\nnodes:")); };
    EXPECT_EQ(yaml(FormatConfigEntry(*t, "n1")), yaml(FormatConfigEntry(want, "n1")));
  }
}

TEST_F(FixtureTree, Rk1On510HasThreePackagesAndHwlocKindsAsAttributes) {
  auto facts = LoadHwlocFacts(HwlocSource{Write("rk1"), ""});
  ASSERT_TRUE(facts.ok()) << facts.status().message();
  EXPECT_EQ(facts->packages, 3u);
  EXPECT_EQ(facts->clusters, 0u);
  EXPECT_EQ(facts->hwloc_kinds, 2u);
  ASSERT_EQ(facts->cpus.size(), 8u);
  EXPECT_EQ(facts->cpus[0].capacity, 414u);
  EXPECT_EQ(facts->cpus[0].max_mhz, 1800u);
  EXPECT_EQ(facts->cpus[7].capacity, 1024u);
  EXPECT_EQ(facts->cpus[7].package, 2u);
  EXPECT_GT(facts->cpus[7].efficiency, facts->cpus[0].efficiency);
  EXPECT_EQ(facts->cpus[0].midr, 0u);  // hwloc 2.9 does not read MIDR; AddLinuxFacts does
  EXPECT_EQ(std::getenv("HWLOC_FSROOT"), nullptr);  // restored after the load
}

TEST_F(FixtureTree, BinnedRk3588IsThreeHwlocKindsButTwoDroverKinds) {
  auto facts = LoadHwlocFacts(HwlocSource{Write("rk3588-binned"), ""});
  ASSERT_TRUE(facts.ok()) << facts.status().message();
  EXPECT_EQ(facts->hwloc_kinds, 3u);
  EXPECT_EQ(facts->clusters, 3u);
  RootedFileSystem fs(root_);
  AddLinuxFacts(fs, *facts);
  EXPECT_EQ(facts->cpus[4].midr, 0x414fd0b0u);
  const NodeTopology t = BuildTopology(*facts);
  EXPECT_EQ(KindSummary(t), "4 big + 4 little");
  EXPECT_EQ(t.kinds[0].hwloc_kinds, 2u);
  EXPECT_EQ(t.kinds[0].min_max_mhz, 2304u);
  EXPECT_EQ(t.kinds[0].max_mhz, 2352u);
}

// MIDR comes from /proc/cpuinfo when the regs files are missing (older kernels).
TEST_F(FixtureTree, MidrFromCpuinfoWithoutRegsFiles) {
  Write("rk3588-6x");
  for (int c = 0; c < 8; ++c) std::filesystem::remove_all(root_ + "/sys/devices/system/cpu/cpu" + std::to_string(c) + "/regs");
  auto t = ReadNodeTopology(root_);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->kinds[0].core_type, "Cortex-A76");
  EXPECT_EQ(t->kinds[1].core_type, "Cortex-A55");
}

// An exported XML topology loads without any global state; it carries hwloc's kinds.
TEST_F(FixtureTree, XmlExportLoadsBack) {
  const std::string tree = Write("rk1");
  const std::string xml = root_ + "/rk1.xml";
  {
    setenv("HWLOC_FSROOT", tree.c_str(), 1);
    setenv("HWLOC_COMPONENTS", "linux,stop", 1);
    hwloc_topology_t t;
    hwloc_topology_init(&t);
    ASSERT_EQ(hwloc_topology_load(t), 0);
    ASSERT_EQ(hwloc_topology_export_xml(t, xml.c_str(), 0), 0);
    hwloc_topology_destroy(t);
    unsetenv("HWLOC_FSROOT");
    unsetenv("HWLOC_COMPONENTS");
  }
  auto facts = LoadHwlocFacts(HwlocSource{"/", xml});
  ASSERT_TRUE(facts.ok()) << facts.status().message();
  EXPECT_EQ(facts->packages, 3u);
  EXPECT_EQ(facts->hwloc_kinds, 2u);
  EXPECT_EQ(facts->cpus.size(), 8u);
  EXPECT_NE(facts->source.find("from"), std::string::npos);
}

TEST_F(FixtureTree, EmptyTreeIsAnErrorNotACrash) {
  auto t = ReadNodeTopology(root_);
  EXPECT_FALSE(t.ok());
}

TEST(ReadFixtureTopology, UnknownNameListsTheKnownOnes) {
  auto t = ReadFixtureTopology("rk2", "/tmp/drover-never-made");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("rk1, rk3588-6x"), std::string::npos);
}

}  // namespace
}  // namespace drover::noded
