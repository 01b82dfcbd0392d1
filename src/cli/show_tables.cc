#include "cli/show_tables.h"

#include <vector>

#include "cli/table.h"
#include "common/hostlist.h"
#include "common/units.h"

namespace drover::cli {
namespace {

std::string StateText(v1::NodeState s) {
  const std::string name = v1::NodeState_Name(s);
  return name.rfind("NODE_STATE_", 0) == 0 ? name.substr(11) : name;
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

std::string NodeTable(const v1::QueryNodesResponse& r, size_t width, bool header) {
  std::vector<TableColumn> columns = {
      {"NODE", false, true, 6, 0},        {"STATE", false, false, 6, 0}, {"CPUS(A/T)", true, false, 6, 3},
      {"MEMORY(A/T)", true, false, 6, 2}, {"KINDS", false, true, 6, 4},  {"PARTITIONS", false, true, 6, 1},
      {"REASON", false, true, 8, 0},
  };
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : r.nodes()) {
    std::string kinds;
    for (const auto& k : n.kinds()) {
      kinds += (kinds.empty() ? "" : " ") + k.kind() + ":" + std::to_string(k.free()) + "/" + std::to_string(k.total());
    }
    rows.push_back({n.name(), StateText(n.state()), std::to_string(n.alloc_cpus()) + "/" + std::to_string(n.cpus()),
                    std::to_string(n.alloc_memory_mb()) + "M/" + std::to_string(n.memory_mb()) + "M", kinds,
                    Join(n.partitions()), n.reason()});
  }
  if (rows.empty()) return header ? "(no nodes)\n" : "";
  TableOptions options;
  options.width = width;
  options.header = header;
  return RenderTable(columns, rows, options);
}

std::string PartitionStateText(const v1::PartitionInfo& p) {
  if (!p.state().empty()) return p.state();
  return p.up() ? "UP" : "DOWN";
}

std::string PartitionTable(const v1::QueryNodesResponse& r, size_t width, bool header) {
  std::vector<TableColumn> columns = {
      {"PARTITION", false, true, 6, 0}, {"DEFAULT", false, false, 6, 2}, {"STATE", false, false, 6, 0},
      {"MAXTIME", true, false, 6, 1},   {"NODES", true, false, 6, 0},    {"NODELIST", false, true, 8, 0},
  };
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r.partitions()) {
    std::vector<std::string> nodes(p.nodes().begin(), p.nodes().end());
    rows.push_back({p.name(), p.is_default() ? "yes" : "no", PartitionStateText(p),
                    p.max_time_minutes() ? FormatTimeLimit(p.max_time_minutes()) : "UNLIMITED",
                    std::to_string(nodes.size()), CompressHostlist(nodes)});
  }
  if (rows.empty()) return header ? "(no partitions)\n" : "";
  TableOptions options;
  options.width = width;
  options.header = header;
  return RenderTable(columns, rows, options);
}

}  // namespace drover::cli
