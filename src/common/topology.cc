#include "common/topology.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace drover {
namespace {

struct ArmPart {
  uint32_t part;
  const char* name;
  int tier;
};

// Arm Ltd. (implementer 0x41) cores seen in big.LITTLE designs. Tier: 0 efficiency ("little"),
// 1 performance ("big"), 2 prime (Cortex-X).
constexpr ArmPart kArmParts[] = {
    {0xd02, "Cortex-A34", 0},  {0xd03, "Cortex-A53", 0},  {0xd04, "Cortex-A35", 0},
    {0xd05, "Cortex-A55", 0},  {0xd46, "Cortex-A510", 0}, {0xd80, "Cortex-A520", 0},
    {0xd07, "Cortex-A57", 1},  {0xd08, "Cortex-A72", 1},  {0xd09, "Cortex-A73", 1},
    {0xd0a, "Cortex-A75", 1},  {0xd0b, "Cortex-A76", 1},  {0xd0d, "Cortex-A77", 1},
    {0xd41, "Cortex-A78", 1},  {0xd4b, "Cortex-A78C", 1}, {0xd47, "Cortex-A710", 1},
    {0xd4d, "Cortex-A715", 1}, {0xd81, "Cortex-A720", 1}, {0xd87, "Cortex-A725", 1},
    {0xd0c, "Neoverse-N1", 1}, {0xd49, "Neoverse-N2", 1}, {0xd44, "Cortex-X1", 2},
    {0xd4c, "Cortex-X1C", 2},  {0xd48, "Cortex-X2", 2},   {0xd4e, "Cortex-X3", 2},
    {0xd82, "Cortex-X4", 2},   {0xd85, "Cortex-X925", 2},
};

std::string Hex(uint32_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*x", width, v);
  return buf;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::optional<uint64_t> ParseNumber(const std::string& text) {
  const std::string t = Trim(text);
  if (t.empty()) return std::nullopt;
  try {
    size_t used = 0;
    const uint64_t v = std::stoull(t, &used, 0);  // 0x.. or decimal
    if (used != t.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<uint64_t> ParseDecimal(const std::string& t) {
  if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoull(t);
}

struct Group {
  std::string key;
  CoreType type;
  std::vector<const CpuFacts*> cpus;
  uint32_t capacity = 0, max_mhz = 0, min_max_mhz = 0;
  int32_t efficiency = -1;
  std::set<int32_t> hwloc_kinds;
};

// Fastest first: core tier when both are known, then capacity, frequency, hwloc's efficiency,
// and finally the lowest CPU id (stable, so equal groups keep the order of their CPUs).
bool Faster(const Group& a, const Group& b) {
  if (a.type.tier >= 0 && b.type.tier >= 0 && a.type.tier != b.type.tier) return a.type.tier > b.type.tier;
  if (a.capacity && b.capacity && a.capacity != b.capacity) return a.capacity > b.capacity;
  if (a.max_mhz && b.max_mhz && a.max_mhz != b.max_mhz) return a.max_mhz > b.max_mhz;
  if (a.efficiency >= 0 && b.efficiency >= 0 && a.efficiency != b.efficiency) return a.efficiency > b.efficiency;
  return false;
}

}  // namespace

CoreType ClassifyCore(const CpuFacts& cpu) {
  if (cpu.midr != 0) {
    const uint32_t impl = MidrImplementer(cpu.midr);
    const uint32_t part = MidrPart(cpu.midr);
    if (impl == 0x41) {
      for (const auto& p : kArmParts) {
        if (p.part == part) return {p.name, p.tier};
      }
    }
    return {"implementer " + Hex(impl, 2) + " part " + Hex(part, 3), -1};
  }
  // Linux's perf PMU lists (cpu_core/cpu_atom) are the kernel's word; hwloc's CoreType comes
  // from CPUID through its x86 backend.
  if (cpu.linux_core_type == "core" || cpu.hwloc_core_type == "IntelCore") return {"Intel P-core", 1};
  if (cpu.hwloc_core_type == "IntelLowPower") return {"Intel LP E-core", 0};
  if (cpu.linux_core_type == "atom" || cpu.hwloc_core_type == "IntelAtom") return {"Intel E-core", 0};
  return {};
}

const TopologyKind* NodeTopology::FindKind(const std::string& name) const {
  for (const auto& k : kinds) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::vector<std::string> KindNames(size_t n) {
  if (n == 0) return {};
  if (n == 1) return {"default"};
  std::vector<std::string> names{"big"};
  if (n == 3) names.push_back("medium");
  if (n > 3) {
    for (size_t i = 1; i + 1 < n; ++i) names.push_back("medium" + std::to_string(i));
  }
  names.push_back("little");
  return names;
}

NodeTopology BuildTopology(const TopologyFacts& facts) {
  std::vector<const CpuFacts*> cpus;
  for (const auto& c : facts.cpus) cpus.push_back(&c);
  std::sort(cpus.begin(), cpus.end(), [](const auto* a, const auto* b) { return a->cpu < b->cpu; });

  std::vector<Group> groups;
  for (const CpuFacts* c : cpus) {
    CoreType type = ClassifyCore(*c);
    std::string key = type.name;
    if (key.empty() && facts.hwloc_kinds > 1 && c->hwloc_kind >= 0) key = "hwloc kind " + std::to_string(c->hwloc_kind);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.key == key; });
    if (it == groups.end()) it = groups.insert(groups.end(), Group{key, type, {}, 0, 0, 0, -1, {}});
    Group& g = *it;
    g.cpus.push_back(c);
    g.capacity = std::max(g.capacity, c->capacity);
    if (c->max_mhz) {
      g.min_max_mhz = g.min_max_mhz ? std::min(g.min_max_mhz, c->max_mhz) : c->max_mhz;
      g.max_mhz = std::max(g.max_mhz, c->max_mhz);
    }
    g.efficiency = std::max(g.efficiency, c->efficiency);
    if (c->hwloc_kind >= 0) g.hwloc_kinds.insert(c->hwloc_kind);
  }
  std::stable_sort(groups.begin(), groups.end(), Faster);

  NodeTopology t;
  t.packages = facts.packages;
  t.clusters = facts.clusters;
  t.hwloc_kinds = facts.hwloc_kinds;
  t.memory_mb = facts.memory_mb;
  t.source = facts.source;
  t.cpus = static_cast<uint32_t>(cpus.size());
  std::set<uint32_t> all_cores;
  const auto names = KindNames(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    const Group& g = groups[i];
    TopologyKind k;
    k.name = names[i];
    k.core_type = g.type.name;
    std::set<uint32_t> cores;
    for (const CpuFacts* c : g.cpus) {
      k.cpu_ids.push_back(c->cpu);
      cores.insert(c->core);
      all_cores.insert(c->core);
    }
    k.cores = static_cast<uint32_t>(cores.size());
    k.capacity = g.capacity;
    k.max_mhz = g.max_mhz;
    k.min_max_mhz = g.min_max_mhz;
    k.hwloc_kinds = static_cast<uint32_t>(g.hwloc_kinds.size());
    t.kinds.push_back(std::move(k));
  }
  t.cores = static_cast<uint32_t>(all_cores.size());
  return t;
}

std::string CoresYaml(const NodeTopology& t) {
  if (t.kinds.size() == 1 && t.kinds[0].name == "default") {
    const auto& ids = t.kinds[0].cpu_ids;
    bool dense = true;
    for (size_t i = 0; i < ids.size(); ++i) dense &= ids[i] == i;
    if (dense) return "cpus: " + std::to_string(ids.size());
  }
  std::string out = "cores: {";
  for (size_t i = 0; i < t.kinds.size(); ++i) {
    const auto& k = t.kinds[i];
    out += (i ? ", " : "") + k.name + ": ";
    const std::string ids = "\"" + FormatCpuList(k.cpu_ids) + "\"";
    out += k.capacity ? "{cpus: " + ids + ", capacity: " + std::to_string(k.capacity) + "}" : ids;
  }
  return out + "}";
}

std::string KindsYaml(const NodeTopology& t) {
  if (t.kinds.size() < 2) return "";
  std::string out = "[";
  for (size_t i = 0; i < t.kinds.size(); ++i) out += (i ? ", " : "") + t.kinds[i].name;
  return out + "]";
}

std::string KindSummary(const NodeTopology& t) {
  if (t.kinds.size() == 1 && t.kinds[0].name == "default") return std::to_string(t.kinds[0].cpu_ids.size());
  std::string out;
  for (const auto& k : t.kinds) out += (out.empty() ? "" : " + ") + std::to_string(k.cpu_ids.size()) + " " + k.name;
  return out;
}

std::string FormatConfigEntry(const NodeTopology& t, const std::string& node_name) {
  std::ostringstream out;
  out << "# " << node_name << ": " << t.packages << (t.packages == 1 ? " package, " : " packages, ")
      << t.clusters << (t.clusters == 1 ? " cluster, " : " clusters, ") << t.cores
      << (t.cores == 1 ? " core, " : " cores, ") << t.cpus << (t.cpus == 1 ? " CPU" : " CPUs");
  if (t.hwloc_kinds) out << ", " << t.hwloc_kinds << " hwloc CPU kind" << (t.hwloc_kinds == 1 ? "" : "s");
  if (!t.source.empty()) out << " (" << t.source << ")";
  out << "\n";
  for (const auto& k : t.kinds) {
    out << "#   " << k.name << ": " << (k.core_type.empty() ? "core type unknown" : k.core_type) << ", CPUs "
        << FormatCpuList(k.cpu_ids) << ", " << k.cores << (k.cores == 1 ? " core" : " cores");
    if (k.max_mhz) {
      out << ", max ";
      if (k.min_max_mhz && k.min_max_mhz != k.max_mhz) out << k.min_max_mhz << "-";
      out << k.max_mhz << " MHz";
    }
    if (k.capacity) out << ", capacity " << k.capacity;
    out << "\n";
  }
  if (const std::string kinds = KindsYaml(t); !kinds.empty()) out << "kinds: " << kinds << "\n";
  out << "nodes:\n"
      << "  - names: " << node_name << "\n"
      << "    " << CoresYaml(t) << "\n"
      << "    memory: " << t.memory_mb << "M\n";
  return out.str();
}

std::optional<std::vector<uint32_t>> ParseCpuList(const std::string& text) {
  std::vector<uint32_t> ids;
  const std::string t = Trim(text);
  if (t.empty()) return ids;
  std::stringstream ss(t);
  std::string part;
  while (std::getline(ss, part, ',')) {
    const std::string p = Trim(part);
    const auto dash = p.find('-');
    auto lo = ParseDecimal(p.substr(0, dash));
    auto hi = dash == std::string::npos ? lo : ParseDecimal(p.substr(dash + 1));
    if (!lo || !hi || *lo > *hi || *hi > 1u << 20) return std::nullopt;
    for (uint64_t i = *lo; i <= *hi; ++i) ids.push_back(static_cast<uint32_t>(i));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::string FormatCpuList(const std::vector<uint32_t>& input) {
  std::vector<uint32_t> ids = input;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(ids[i]);
    if (j > i) out += "-" + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

std::vector<std::pair<uint32_t, uint64_t>> ParseCpuinfoMidr(const std::string& text) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  std::map<std::string, uint64_t> block;
  bool has_cpu = false;
  uint32_t cpu = 0;
  auto flush = [&] {
    if (has_cpu && block.count("CPU implementer") && block.count("CPU part")) {
      const uint64_t midr = (block["CPU implementer"] & 0xff) << 24 | (block["CPU variant"] & 0xf) << 20 |
                            0xfull << 16 | (block["CPU part"] & 0xfff) << 4 | (block["CPU revision"] & 0xf);
      out.emplace_back(cpu, midr);
    }
    block.clear();
    has_cpu = false;
  };
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    const auto colon = line.find(':');
    if (Trim(line).empty()) {
      flush();
      continue;
    }
    if (colon == std::string::npos) continue;
    const std::string key = Trim(line.substr(0, colon));
    auto value = ParseNumber(line.substr(colon + 1));
    if (key == "processor") {
      flush();
      has_cpu = value.has_value();
      cpu = value ? static_cast<uint32_t>(*value) : 0;
    } else if (value && key.rfind("CPU ", 0) == 0) {
      block[key] = *value;
    }
  }
  flush();
  return out;
}

std::optional<uint64_t> ParseMeminfoMB(const std::string& text, const std::string& key) {
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || Trim(line.substr(0, colon)) != key) continue;
    std::stringstream v(line.substr(colon + 1));
    uint64_t kb = 0;
    if (!(v >> kb)) return std::nullopt;
    return kb / 1024;
  }
  return std::nullopt;
}

std::optional<double> ParseLoadavg(const std::string& text) {
  std::stringstream ss(text);
  double load = 0;
  if (!(ss >> load) || load < 0) return std::nullopt;
  return load;
}

std::vector<uint32_t> MapToHostCpus(const std::vector<uint32_t>& ids, const std::vector<uint32_t>& host_cpus) {
  std::vector<uint32_t> out;
  for (uint32_t id : ids) out.push_back(host_cpus[id % host_cpus.size()]);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace drover
