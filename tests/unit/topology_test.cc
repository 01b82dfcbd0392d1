// Pure topology rules: core types from MIDR / Intel core type, kinds built from facts (type
// first, hwloc kinds second), the printed config entry, /proc parsers, fixture tables.
#include "common/topology.h"

#include <gtest/gtest.h>

#include "common/config.h"
#include "common/topology_fixtures.h"

namespace drover {
namespace {

CpuFacts Cpu(uint32_t id, uint64_t midr, uint32_t capacity, uint32_t mhz, int32_t hwloc_kind = -1) {
  CpuFacts c;
  c.cpu = id;
  c.core = id;
  c.midr = midr;
  c.capacity = capacity;
  c.max_mhz = mhz;
  c.hwloc_kind = hwloc_kind;
  c.efficiency = hwloc_kind;
  return c;
}

TEST(ClassifyCore, ArmPartsNameTheCoreType) {
  EXPECT_EQ(ClassifyCore(Cpu(0, 0x412fd050, 0, 0)).name, "Cortex-A55");
  EXPECT_EQ(ClassifyCore(Cpu(0, 0x412fd050, 0, 0)).tier, 0);
  EXPECT_EQ(ClassifyCore(Cpu(0, 0x414fd0b0, 0, 0)).name, "Cortex-A76");
  EXPECT_EQ(ClassifyCore(Cpu(0, 0x414fd0b0, 0, 0)).tier, 1);
  EXPECT_EQ(ClassifyCore(Cpu(0, 0x410fd851, 0, 0)).name, "Cortex-X925");
  const CoreType other = ClassifyCore(Cpu(0, 0x611f0221, 0, 0));  // Apple
  EXPECT_EQ(other.name, "implementer 0x61 part 0x022");
  EXPECT_EQ(other.tier, -1);
}

TEST(ClassifyCore, IntelCoreTypeFromLinuxOrHwloc) {
  CpuFacts c;
  c.linux_core_type = "core";
  EXPECT_EQ(ClassifyCore(c).name, "Intel P-core");
  c.linux_core_type = "";
  c.hwloc_core_type = "IntelAtom";
  EXPECT_EQ(ClassifyCore(c).name, "Intel E-core");
  c.hwloc_core_type = "";
  EXPECT_EQ(ClassifyCore(c).name, "");
}

TEST(BuildTopology, BinnedRk3588HasTwoCoreTypesThoughHwlocSeesThreeKinds) {
  TopologyFacts f;
  f.hwloc_kinds = 3;
  for (uint32_t i = 0; i < 4; ++i) f.cpus.push_back(Cpu(i, 0x412fd050, 405, 1800, 0));
  for (uint32_t i = 4; i < 6; ++i) f.cpus.push_back(Cpu(i, 0x414fd0b0, 1003, 2304, 1));
  for (uint32_t i = 6; i < 8; ++i) f.cpus.push_back(Cpu(i, 0x414fd0b0, 1024, 2352, 2));
  const NodeTopology t = BuildTopology(f);
  ASSERT_EQ(t.kinds.size(), 2u);
  EXPECT_EQ(t.kinds[0].name, "big");
  EXPECT_EQ(t.kinds[0].cpu_ids, (std::vector<uint32_t>{4, 5, 6, 7}));
  EXPECT_EQ(t.kinds[0].capacity, 1024u);
  EXPECT_EQ(t.kinds[0].min_max_mhz, 2304u);
  EXPECT_EQ(t.kinds[0].max_mhz, 2352u);
  EXPECT_EQ(t.kinds[0].hwloc_kinds, 2u);
  EXPECT_EQ(t.kinds[1].name, "little");
  EXPECT_EQ(t.kinds[1].cpu_ids, (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(KindSummary(t), "4 big + 4 little");
}

TEST(BuildTopology, WithoutCoreTypesHwlocKindsDecide) {
  TopologyFacts f;
  f.hwloc_kinds = 2;
  f.cpus = {Cpu(0, 0, 0, 3000, 1), Cpu(1, 0, 0, 3000, 1), Cpu(2, 0, 0, 2000, 0)};
  const NodeTopology t = BuildTopology(f);
  ASSERT_EQ(t.kinds.size(), 2u);
  EXPECT_EQ(t.kinds[0].name, "big");
  EXPECT_EQ(t.kinds[0].cpu_ids, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(t.kinds[1].cpu_ids, (std::vector<uint32_t>{2}));
}

TEST(BuildTopology, OneHwlocKindAndNoTypeIsOneDefaultKind) {
  TopologyFacts f;
  f.hwloc_kinds = 1;
  f.cpus = {Cpu(0, 0, 1024, 0, 0), Cpu(1, 0, 1024, 0, 0)};
  const NodeTopology t = BuildTopology(f);
  ASSERT_EQ(t.kinds.size(), 1u);
  EXPECT_EQ(t.kinds[0].name, "default");
  EXPECT_EQ(CoresYaml(t), "cpus: 2");
  EXPECT_EQ(KindSummary(t), "2");
}

TEST(BuildTopology, TierBeatsCapacityAndThreeTypesGetAMediumKind) {
  TopologyFacts f;
  f.cpus = {Cpu(0, 0x410fd460, 300, 0), Cpu(1, 0x410fd4d0, 200, 0), Cpu(2, 0x410fd4e0, 100, 0)};
  const NodeTopology t = BuildTopology(f);
  ASSERT_EQ(t.kinds.size(), 3u);
  EXPECT_EQ(t.kinds[0].core_type, "Cortex-X3");
  EXPECT_EQ(t.kinds[1].name, "medium");
  EXPECT_EQ(t.kinds[1].core_type, "Cortex-A715");
  EXPECT_EQ(t.kinds[2].core_type, "Cortex-A510");
}

TEST(KindNames, ByCount) {
  EXPECT_EQ(KindNames(1), (std::vector<std::string>{"default"}));
  EXPECT_EQ(KindNames(2), (std::vector<std::string>{"big", "little"}));
  EXPECT_EQ(KindNames(4), (std::vector<std::string>{"big", "medium1", "medium2", "little"}));
}

TEST(CpuList, ParseAndFormat) {
  EXPECT_EQ(ParseCpuList("0-3,6\n"), (std::vector<uint32_t>{0, 1, 2, 3, 6}));
  EXPECT_EQ(ParseCpuList(""), std::vector<uint32_t>{});
  EXPECT_FALSE(ParseCpuList("3-1").has_value());
  EXPECT_FALSE(ParseCpuList("a").has_value());
  EXPECT_FALSE(ParseCpuList("0x3").has_value());
  EXPECT_EQ(FormatCpuList({6, 0, 1, 2, 3, 9, 10}), "0-3,6,9-10");
}

TEST(ProcParsers, CpuinfoMeminfoLoadavg) {
  const std::string cpuinfo =
      "processor\t: 0\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x2\nCPU part\t: 0xd05\n"
      "CPU revision\t: 0\n\nprocessor\t: 4\nCPU implementer\t: 0x41\nCPU variant\t: 0x4\nCPU part\t: 0xd0b\n"
      "CPU revision\t: 0\n";
  const auto midr = ParseCpuinfoMidr(cpuinfo);
  ASSERT_EQ(midr.size(), 2u);
  EXPECT_EQ(midr[0], (std::pair<uint32_t, uint64_t>{0, 0x412fd050}));
  EXPECT_EQ(midr[1], (std::pair<uint32_t, uint64_t>{4, 0x414fd0b0}));
  EXPECT_TRUE(ParseCpuinfoMidr("processor\t: 0\nmodel name\t: Intel\n").empty());
  EXPECT_EQ(ParseMeminfoMB("MemTotal:       16047308 kB\nMemAvailable: 2048 kB\n", "MemAvailable"), 2u);
  EXPECT_FALSE(ParseMeminfoMB("MemTotal: 1 kB\n", "MemAvailable").has_value());
  EXPECT_DOUBLE_EQ(*ParseLoadavg("0.25 0.20 0.15 1/180 4242\n"), 0.25);
  EXPECT_FALSE(ParseLoadavg("x").has_value());
}

TEST(MapToHostCpus, ModuloTheHostsCpus) {
  EXPECT_EQ(MapToHostCpus({4, 5, 6, 7}, {0, 1}), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(MapToHostCpus({4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7, 8}), (std::vector<uint32_t>{4, 5, 6, 7}));
  EXPECT_EQ(MapToHostCpus({0, 3}, {0, 1, 2}), (std::vector<uint32_t>{0}));
  EXPECT_EQ(MapToHostCpus({0, 1}, {2, 5}), (std::vector<uint32_t>{2, 5}));  // only CPUs we may use
}

// The printed entry is a config drover accepts, with the same cores and memory.
TEST(FormatConfigEntry, ParsesBackAsTheSameNode) {
  for (const auto& fixture : TopologyFixtures()) {
    SCOPED_TRACE(fixture.name);
    const NodeTopology t = BuildTopology(FixtureFacts(fixture));
    const std::string entry = FormatConfigEntry(t, "node1");
    auto config = ParseConfig("controller: {host: head}\n" + entry, "entry.yaml");
    ASSERT_TRUE(config.ok()) << config.status().message() << "\n" << entry;
    const NodeConfig* node = config->FindNode("node1");
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(node->memory_mb, t.memory_mb);
    EXPECT_EQ(node->cpus, t.cpus);
    ASSERT_EQ(node->cores.size(), t.kinds.size());
    for (const auto& k : t.kinds) {
      auto it = std::find_if(node->cores.begin(), node->cores.end(), [&](const auto& c) { return c.kind == k.name; });
      ASSERT_NE(it, node->cores.end()) << k.name;
      EXPECT_EQ(it->cpu_ids, k.cpu_ids);
    }
    if (t.kinds.size() > 1) {
      EXPECT_EQ(config->cpu_kinds.front(), "big");
    }
  }
}

TEST(FormatConfigEntry, Rk1Golden) {
  const NodeTopology t = BuildTopology(FixtureFacts(*FindTopologyFixture("rk1")));
  EXPECT_EQ(FormatConfigEntry(t, "node1"),
            "# node1: 3 packages, 0 clusters, 8 cores, 8 CPUs (fixture rk1)\n"
            "#   big: Cortex-A76, CPUs 4-7, 4 cores, max 2304 MHz, capacity 1024\n"
            "#   little: Cortex-A55, CPUs 0-3, 4 cores, max 1800 MHz, capacity 414\n"
            "kinds: [big, little]\n"
            "nodes:\n"
            "  - names: node1\n"
            "    cores: {big: {cpus: \"4-7\", capacity: 1024}, little: {cpus: \"0-3\", capacity: 414}}\n"
            "    memory: 15671M\n");
}

// What each fixture's table says, as drover's kinds.
TEST(FixtureFacts, KindsOfEveryFixture) {
  struct Want {
    const char* name;
    const char* summary;
    uint32_t packages, clusters, cores, cpus;
  };
  const Want wants[] = {{"rk1", "4 big + 4 little", 3, 0, 8, 8},
                        {"rk3588-6x", "4 big + 4 little", 1, 3, 8, 8},
                        {"rk3588-binned", "4 big + 4 little", 1, 3, 8, 8},
                        {"intel-hybrid", "12 big + 8 little", 1, 2, 14, 20},
                        {"x86", "8", 1, 0, 4, 8}};
  ASSERT_EQ(TopologyFixtures().size(), std::size(wants));
  for (const auto& w : wants) {
    SCOPED_TRACE(w.name);
    const TopologyFixture* f = FindTopologyFixture(w.name);
    ASSERT_NE(f, nullptr);
    const NodeTopology t = BuildTopology(FixtureFacts(*f));
    EXPECT_EQ(KindSummary(t), w.summary);
    EXPECT_EQ(t.packages, w.packages);
    EXPECT_EQ(t.clusters, w.clusters);
    EXPECT_EQ(t.cores, w.cores);
    EXPECT_EQ(t.cpus, w.cpus);
  }
  EXPECT_EQ(FindTopologyFixture("rk2"), nullptr);
}

}  // namespace
}  // namespace drover
