#include "ctld/topology_policy.h"

#include <algorithm>
#include <set>

#include "common/topology.h"

namespace drover::ctld {
namespace {

bool DefaultOnly(const std::vector<CoreKindConfig>& kinds) {
  return kinds.size() == 1 && kinds[0].kind == kDefaultCoreKind;
}

size_t Count(const std::vector<CoreKindConfig>& kinds) {
  size_t n = 0;
  for (const auto& k : kinds) n += k.cpu_ids.size();
  return n;
}

int Rank(const std::string& kind) {
  if (kind == "big") return 0;
  if (kind.rfind("medium", 0) == 0) return 1;
  if (kind == "little") return 2;
  if (kind == kDefaultCoreKind) return 3;
  return 4;
}

bool ByRank(const std::string& a, const std::string& b) { return Rank(a) != Rank(b) ? Rank(a) < Rank(b) : a < b; }

// "4 big + 4 little" (fastest first, whatever the entry's order); "8" for the default kind alone.
std::string Summary(const std::vector<CoreKindConfig>& input) {
  if (DefaultOnly(input)) return std::to_string(input[0].cpu_ids.size());
  std::vector<CoreKindConfig> kinds = input;
  std::stable_sort(kinds.begin(), kinds.end(), [](const auto& a, const auto& b) { return ByRank(a.kind, b.kind); });
  std::string out;
  for (const auto& k : kinds) out += (out.empty() ? "" : " + ") + std::to_string(k.cpu_ids.size()) + " " + k.kind;
  return out.empty() ? "0" : out;
}

const CoreKindConfig* Find(const std::vector<CoreKindConfig>& kinds, const std::string& name) {
  for (const auto& k : kinds) {
    if (k.kind == name) return &k;
  }
  return nullptr;
}

bool Subset(const std::vector<uint32_t>& a, const std::set<uint32_t>& b) {
  return std::all_of(a.begin(), a.end(), [&](uint32_t id) { return b.count(id) != 0; });
}

void Append(std::string& out, const std::string& text) { out += (out.empty() ? "" : "; ") + text; }

}  // namespace

TopologyComparison CompareTopology(const NodeConfig& config, const HardwareReport& hw) {
  TopologyComparison out;
  std::vector<CoreKindConfig> want = config.cores;
  if (want.empty()) {  // a config built in code may give only `cpus`
    CoreKindConfig all{kDefaultCoreKind, {}, 0};
    for (uint32_t id = 0; id < config.cpus; ++id) all.cpu_ids.push_back(id);
    want.push_back(all);
  }
  const std::string counts = "config says " + Summary(want) + " cores, hardware has " + Summary(hw.kinds);
  if (DefaultOnly(want)) {
    std::set<uint32_t> all;
    for (const auto& k : hw.kinds) all.insert(k.cpu_ids.begin(), k.cpu_ids.end());
    if (!Subset(want[0].cpu_ids, all)) {
      const std::string text = Count(hw.kinds) < want[0].cpu_ids.size()
                                   ? counts
                                   : "config says cores " + FormatCpuList(want[0].cpu_ids) + ", hardware has " +
                                         FormatCpuList({all.begin(), all.end()});
      Append(out.shortfall, text);
      Append(out.difference, text);
    } else if (all.size() != want[0].cpu_ids.size()) {
      Append(out.difference, counts);
    }
  } else {
    bool short_by_count = false;
    std::string id_shortfall;
    for (const auto& k : want) {
      const CoreKindConfig* h = Find(hw.kinds, k.kind);
      const std::set<uint32_t> ids = h ? std::set<uint32_t>(h->cpu_ids.begin(), h->cpu_ids.end()) : std::set<uint32_t>{};
      if (Subset(k.cpu_ids, ids)) continue;
      if (ids.size() < k.cpu_ids.size()) {
        short_by_count = true;
      } else {
        Append(id_shortfall, "config says " + k.kind + " cores " + FormatCpuList(k.cpu_ids) + ", hardware has " +
                                 k.kind + " cores " + FormatCpuList({ids.begin(), ids.end()}));
      }
    }
    const std::string shortfall = short_by_count ? counts : id_shortfall;
    if (!shortfall.empty()) {
      Append(out.shortfall, shortfall);
      Append(out.difference, shortfall);
    } else if (Summary(want) != Summary(hw.kinds)) {
      Append(out.difference, counts);
    } else {
      for (const auto& k : want) {
        const CoreKindConfig* h = Find(hw.kinds, k.kind);
        if (h && h->cpu_ids != k.cpu_ids) {
          Append(out.difference, "config says " + k.kind + " cores " + FormatCpuList(k.cpu_ids) +
                                     ", hardware has " + FormatCpuList(h->cpu_ids));
        }
      }
    }
  }
  if (hw.memory_mb < config.memory_mb) {
    const std::string text = "config says memory " + std::to_string(config.memory_mb) + "M, hardware has " +
                             std::to_string(hw.memory_mb) + "M";
    Append(out.shortfall, text);
    Append(out.difference, text);
  }
  return out;
}

NodeConfig ApplyHardware(const NodeConfig& config, const HardwareReport& hw) {
  NodeConfig out = config;
  out.cores = hw.kinds;
  out.cpus = static_cast<uint32_t>(Count(hw.kinds));
  out.memory_mb = hw.memory_mb;
  return out;
}

std::string DescribeHardware(const HardwareReport& hw) {
  return Summary(hw.kinds) + " cores, " + std::to_string(hw.memory_mb) + "M, " + std::to_string(hw.packages) +
         (hw.packages == 1 ? " package, " : " packages, ") + std::to_string(hw.clusters) +
         (hw.clusters == 1 ? " cluster" : " clusters");
}

std::vector<std::string> MergeKinds(const std::vector<std::string>& configured,
                                    const std::vector<std::string>& reported) {
  std::vector<std::string> extra;
  for (const auto& k : reported) {
    if (std::find(configured.begin(), configured.end(), k) == configured.end() &&
        std::find(extra.begin(), extra.end(), k) == extra.end()) {
      extra.push_back(k);
    }
  }
  std::stable_sort(extra.begin(), extra.end(), ByRank);
  std::vector<std::string> out = configured;
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

}  // namespace drover::ctld
