#include "noded/topology_reader.h"

#include <map>

#include "common/topology_fixtures.h"
#include "noded/hwloc_topology.h"

namespace drover::noded {
namespace {

std::optional<uint64_t> ParseHex(const std::string& text) {
  try {
    size_t used = 0;
    const uint64_t v = std::stoull(text, &used, 16);
    return used > 0 ? std::optional<uint64_t>(v) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

void AddLinuxFacts(const FileSystem& fs, TopologyFacts& facts) {
  std::map<uint32_t, uint64_t> cpuinfo_midr;
  if (auto text = fs.ReadFile("/proc/cpuinfo"); text.ok()) {
    for (const auto& [cpu, midr] : ParseCpuinfoMidr(*text)) cpuinfo_midr[cpu] = midr;
  }
  std::map<uint32_t, std::string> intel_type;
  for (const char* type : {"core", "atom"}) {
    auto text = fs.ReadFile(std::string("/sys/devices/cpu_") + type + "/cpus");
    if (!text.ok()) continue;
    if (auto ids = ParseCpuList(*text)) {
      for (uint32_t id : *ids) intel_type[id] = type;
    }
  }
  for (auto& c : facts.cpus) {
    // midr_el1 is per CPU and exact; /proc/cpuinfo works on kernels without the regs files.
    auto regs = fs.ReadFile("/sys/devices/system/cpu/cpu" + std::to_string(c.cpu) + "/regs/identification/midr_el1");
    if (auto midr = regs.ok() ? ParseHex(*regs) : std::nullopt; midr && *midr != 0) {
      c.midr = *midr;
    } else if (auto it = cpuinfo_midr.find(c.cpu); it != cpuinfo_midr.end()) {
      c.midr = it->second;
    }
    if (auto it = intel_type.find(c.cpu); it != intel_type.end()) c.linux_core_type = it->second;
  }
  if (auto text = fs.ReadFile("/proc/meminfo"); text.ok()) {
    if (auto mb = ParseMeminfoMB(*text, "MemTotal")) facts.memory_mb = *mb;
  }
}

Result<NodeTopology> ReadNodeTopology(const std::string& root) {
  auto facts = LoadHwlocFacts(HwlocSource{root, ""});
  if (!facts.ok()) return facts.status();
  RootedFileSystem fs(root);
  AddLinuxFacts(fs, *facts);
  return BuildTopology(*facts);
}

Result<NodeTopology> ReadFixtureTopology(const std::string& fixture_name, const std::string& dir) {
  const TopologyFixture* fixture = FindTopologyFixture(fixture_name);
  if (fixture == nullptr) {
    return Status::NotFound("no topology fixture named '" + fixture_name + "'; known: " + TopologyFixtureNames());
  }
  RootedFileSystem fs(dir);
  DROVER_RETURN_IF_ERROR(fs.RemoveAll("/sys"));
  DROVER_RETURN_IF_ERROR(fs.RemoveAll("/proc"));
  DROVER_RETURN_IF_ERROR(WriteFixtureTree(*fixture, fs));
  auto topology = ReadNodeTopology(dir);
  // The temporary directory's name would only be noise in messages.
  if (topology.ok()) topology->source = "fixture " + fixture_name + ", " + topology->source.substr(0, topology->source.find(" on "));
  return topology;
}

}  // namespace drover::noded
