// sinfo and drover info: nodes and partitions.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/empty_values.h"
#include "cli/cli_util.h"
#include "cli/client.h"
#include "cli/color.h"
#include "cli/table.h"
#include "cli/terminal.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/show_tables.h"
#include "cli/long_format.h"
#include "cli/time_text.h"
#include "cli/usage.h"
#include "common/hostlist.h"
#include "common/job.h"
#include "common/units.h"
#include "common/text.h"

namespace drover::cli {
namespace {

NodeState FromProto(v1::NodeState s) {
  switch (s) {
    case v1::NODE_STATE_IDLE: return NodeState::kIdle;
    case v1::NODE_STATE_MIXED: return NodeState::kMixed;
    case v1::NODE_STATE_ALLOCATED: return NodeState::kAllocated;
    case v1::NODE_STATE_DOWN: return NodeState::kDown;
    case v1::NODE_STATE_DRAINING: return NodeState::kDraining;
    case v1::NODE_STATE_DRAINED: return NodeState::kDrained;
    case v1::NODE_STATE_INVALID: return NodeState::kInvalid;
    default: return NodeState::kUnknown;
  }
}

// A down node that stopped answering prints with Slurm's '*' (not responding) mark.
std::string StateText(const v1::NodeInfo& n, bool compact) {
  const NodeState s = FromProto(n.state());
  std::string text(compact ? NodeStateCompact(s) : NodeStateName(s));
  if (s == NodeState::kDown && n.reason() == "Not responding") text += "*";
  return text;
}

// One output line of sinfo: nodes of one partition that print alike.
struct Group {
  const v1::PartitionInfo* partition = nullptr;
  std::vector<const v1::NodeInfo*> nodes;
};

std::string Field(const Group& g, char code) {
  const auto& p = *g.partition;
  const auto& first = *g.nodes.front();
  switch (code) {
    case 'P': return p.name() + (p.is_default() ? "*" : "");
    case 'R': return p.name();
    // Slurm's sinfo words: up, down, drain, inact.
    case 'a': {
      const std::string st = AsciiLower(PartitionStateText(p));
      return st == "inactive" ? "inact" : st;
    }
    case 'l': return p.max_time_minutes() ? FormatTimeLimit(p.max_time_minutes()) : "infinite";
    case 'D': return std::to_string(g.nodes.size());
    case 't': return StateText(first, true);
    case 'T': return StateText(first, false);
    case 'N':
    case 'n': {
      std::vector<std::string> names;
      for (const auto* n : g.nodes) names.push_back(n->name());
      return CompressHostlist(names);
    }
    case 'c': return std::to_string(first.cpus());
    case 'm': return std::to_string(first.memory_mb());
    case 'f': {
      std::string out;
      for (const auto& f : first.features()) out += (out.empty() ? "" : ",") + f;
      return out.empty() ? "(null)" : out;
    }
    case 'E': return first.reason().empty() ? "none" : first.reason();
    case 'O': {
      std::ostringstream ss;
      ss.precision(2);
      ss << std::fixed << first.load();
      return ss.str();
    }
    case 'e': return std::to_string(first.free_memory_mb());
    // sinfo -l's columns; drover has no per-partition job size, root-only, oversubscribe or
    // group settings to show, so these are Slurm's defaults.
    case 's': return "1-infinite";
    case 'r': return "no";
    case 'h': return "NO";
    case 'g': return "all";
    case 'z': return "1:" + std::to_string(first.cpus()) + ":1";
    case 'd': return "0";
    case 'w': return "1";
    case 'U': return first.drain_user().empty() ? "root" : first.drain_user();
    case 'H': return first.drain_time() ? FormatTimestamp(first.drain_time()) : "Unknown";
    case 'K': {  // drover's own: free/total cores per CPU kind, fastest first
      std::vector<std::pair<std::string, std::pair<uint32_t, uint32_t>>> sums;
      for (const auto* n : g.nodes) {
        for (const auto& k : n->kinds()) {
          auto it = std::find_if(sums.begin(), sums.end(), [&](const auto& e) { return e.first == k.kind(); });
          if (it == sums.end()) it = sums.insert(sums.end(), {k.kind(), {0, 0}});
          it->second.first += k.free();
          it->second.second += k.total();
        }
      }
      std::string out;
      for (const auto& [kind, counts] : sums) {
        out += (out.empty() ? "" : " ") + kind + ":" + std::to_string(counts.first) + "/" + std::to_string(counts.second);
      }
      return out;
    }
    case 'F': {  // nodes allocated (or mixed) / idle / other / total
      uint64_t alloc = 0, idle = 0, other = 0;
      for (const auto* n : g.nodes) {
        switch (n->state()) {
          case v1::NODE_STATE_ALLOCATED:
          case v1::NODE_STATE_MIXED: ++alloc; break;
          case v1::NODE_STATE_IDLE: ++idle; break;
          default: ++other; break;
        }
      }
      return std::to_string(alloc) + "/" + std::to_string(idle) + "/" + std::to_string(other) + "/" +
             std::to_string(g.nodes.size());
    }
    case 'C': {
      uint64_t alloc = 0, idle = 0, other = 0, total = 0;
      for (const auto* n : g.nodes) {
        total += n->cpus();
        if (n->state() == v1::NODE_STATE_DOWN || n->state() == v1::NODE_STATE_UNKNOWN ||
            n->state() == v1::NODE_STATE_DRAINED || n->state() == v1::NODE_STATE_INVALID) {
          other += n->cpus();
        } else {
          alloc += n->alloc_cpus();
          idle += n->cpus() - n->alloc_cpus();
        }
      }
      return std::to_string(alloc) + "/" + std::to_string(idle) + "/" + std::to_string(other) + "/" +
             std::to_string(total);
    }
    default: return "";
  }
}

std::string Header(char code) {
  static const std::map<char, std::string> kHeaders = {
      {'P', "PARTITION"}, {'R', "PARTITION"}, {'a', "AVAIL"},    {'l', "TIMELIMIT"},
      {'D', "NODES"},     {'t', "STATE"},     {'T', "STATE"},    {'N', "NODELIST"},
      {'n', "HOSTNAMES"}, {'c', "CPUS"},      {'m', "MEMORY"},   {'f', "AVAIL_FEATURES"},
      {'E', "REASON"},    {'O', "CPU_LOAD"},  {'e', "FREE_MEM"}, {'C', "CPUS(A/I/O/T)"},
      {'K', "CORES(FREE/TOTAL)"}, {'F', "NODES(A/I/O/T)"},
      {'s', "JOB_SIZE"},  {'r', "ROOT"},      {'h', "OVERSUBS"}, {'g', "GROUPS"},
      {'z', "S:C:T"},     {'d', "TMP_DISK"},  {'w', "WEIGHT"},   {'U', "USER"},
      {'H', "TIMESTAMP"},
  };
  auto it = kHeaders.find(code);
  return it == kHeaders.end() ? std::string(1, code) : it->second;
}

// Groups each partition's nodes by everything the format prints except the node list and
// count, in node order, as sinfo does.
std::vector<Group> GroupNodes(const v1::QueryNodesResponse& r, const std::vector<FormatToken>& tokens,
                              const std::string& only_partition, bool per_node) {
  std::map<std::string, const v1::NodeInfo*> by_name;
  for (const auto& n : r.nodes()) by_name[n.name()] = &n;
  std::vector<Group> groups;
  for (const auto& p : r.partitions()) {
    if (!only_partition.empty() && p.name() != only_partition) continue;
    std::map<std::string, size_t> index;
    for (const auto& name : p.nodes()) {
      auto it = by_name.find(name);
      if (it == by_name.end()) continue;
      Group probe{&p, {it->second}};
      std::string key;
      for (const auto& t : tokens) {
        if (t.code != 0 && t.code != 'N' && t.code != 'n' && t.code != 'D' && t.code != 'C' && t.code != 'K' &&
            t.code != 'F') {
          key += Field(probe, t.code) + '\x1f';
        }
      }
      if (per_node) key += name;
      auto [pos, inserted] = index.emplace(key, groups.size());
      if (inserted) groups.push_back(Group{&p, {}});
      groups[pos->second].nodes.push_back(it->second);
    }
  }
  return groups;
}

Result<v1::QueryNodesResponse> FetchNodes(const std::optional<std::string>& config) {
  auto client = ControllerClient::Connect(config);
  if (!client.ok()) return client.status();
  v1::Body body;
  body.mutable_query_nodes();
  auto reply = (*client)->Call(body);
  if (!reply.ok()) return reply.status();
  return reply->query_nodes_response();
}

}  // namespace

int RunSinfo(const Args& args) {
  CLI::App app{"sinfo: view nodes and partitions (Slurm-compatible)", "sinfo"};
  app.set_help_flag("--help", "print this help");
  std::string format, long_spec, partition, node_filter, state_filter;
  bool noheader = false, json = false, per_node = false, reasons = false, all = false, summarize = false,
       long_format = false;
  std::optional<std::string> config;
  app.add_flag("-h,--noheader", noheader, "no header line");
  app.add_option("-o,--format", format, "output format, e.g. '%P %N'");
  app.add_option("-O,--Format", long_spec, "output fields by name, e.g. Partition,CPUsState:.14");
  app.add_option("-t,--states", state_filter, "only nodes in these states, e.g. idle,mix,alloc,down,drain");
  app.add_option("-p,--partition", partition, "only this partition");
  app.add_flag("-N,--Node", per_node, "one line per node");
  app.add_flag("-s,--summarize", summarize, "one line per partition, node counts as allocated/idle/other/total");
  app.add_option("-n,--nodes", node_filter, "only these nodes (a hostlist)");
  app.add_flag("-R,--list-reasons", reasons, "why nodes are down");
  app.add_flag("-l,--long", long_format, "more columns, after the time of the report (as Slurm's)");
  app.add_flag("-a,--all", all, "accepted (all partitions are always shown)");
  app.add_flag("--json", json, "print JSON");
  app.add_option("--config", config, "drover configuration file");
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return UsageError(app, "sinfo", e);
    std::cerr << "sinfo: error: " << e.what() << "\nTry \"sinfo --help\" for more information\n";
    return 1;
  }
  auto nodes = FetchNodes(config);
  if (!nodes.ok()) {
    std::cerr << "sinfo: error: " << nodes.status().message() << "\n";
    return 1;
  }
  if (!node_filter.empty()) {
    auto wanted = ExpandHostlist(node_filter);
    if (!wanted.ok()) {
      std::cerr << "sinfo: error: --nodes: " << wanted.status().message() << "\n";
      return 1;
    }
    auto* list = nodes->mutable_nodes();
    list->erase(std::remove_if(list->begin(), list->end(),
                               [&](const v1::NodeInfo& n) {
                                 return std::find(wanted->begin(), wanted->end(), n.name()) == wanted->end();
                               }),
                list->end());
  }
  if (!state_filter.empty()) {
    // A node matches a state by its compact or long name ("mix", "MIXED"), or "drain" for
    // draining and drained nodes, as sinfo -t does.
    std::vector<std::string> wanted;
    for (const auto& s : SplitList(state_filter)) wanted.push_back(AsciiLower(s));
    auto lower = [](const std::string& given) {
      std::string s = AsciiLower(given);
      if (!s.empty() && s.back() == '*') s.pop_back();
      return s;
    };
    auto* list = nodes->mutable_nodes();
    list->erase(std::remove_if(list->begin(), list->end(),
                               [&](const v1::NodeInfo& n) {
                                 const std::string compact = lower(StateText(n, true));
                                 const std::string full = lower(StateText(n, false));
                                 const bool draining = n.state() == v1::NODE_STATE_DRAINING ||
                                                       n.state() == v1::NODE_STATE_DRAINED;
                                 for (const auto& w : wanted) {
                                   if (w == compact || w == full || (w == "drain" && draining) ||
                                       (w == "alloc" && full == "allocated")) {
                                     return false;
                                   }
                                 }
                                 return true;
                               }),
                list->end());
  }
  if (json) {
    std::cout << ToJson(*nodes);
    return 0;
  }
  if (format.empty() && long_spec.empty()) {  // as Slurm: SINFO_FORMAT stands in for -o
    if (const char* env = getenv("SINFO_FORMAT"); env && *env) format = env;
  }
  if (!long_spec.empty()) {
    auto translated = LongFormatToPercent(long_spec, SinfoLongNames());
    if (!translated.ok()) {
      std::cerr << "sinfo: error: " << translated.status().message() << "\n";
      return 1;
    }
    format = *translated;
  }
  if (format.empty() && long_format) {  // Slurm's sinfo -l formats
    format = reasons    ? "%20E %12U %19H %6t %N"
             : per_node ? "%N %.6D %.9P %.11T %.4c %.8z %.6m %.8d %.6w %.8f %20E"
                        : "%9P %.5a %.10l %.10s %.4r %.8h %.10g %.6D %.11T %N";
  }
  if (format.empty()) {
    format = reasons     ? "%20E %N"
             : per_node  ? "%10N %.6D %9P %.6t"
             : summarize ? "%9P %.5a %.10l %.16F  %N"
                         : "%9P %.5a %.10l %.6D %.6t %N";
  }
  const auto tokens = ParseFormat(format);
  if (!noheader && long_format) std::cout << FormatLocalTime(time(nullptr), "%a %b %d %H:%M:%S %Y") << "\n";
  if (!noheader) std::cout << RenderLine(tokens, Header) << "\n";
  for (const auto& g : GroupNodes(*nodes, tokens, partition, per_node)) {
    const v1::NodeState st = g.nodes.front()->state();
    if (reasons && st != v1::NODE_STATE_DOWN && st != v1::NODE_STATE_DRAINED && st != v1::NODE_STATE_DRAINING &&
        st != v1::NODE_STATE_INVALID) {
      continue;
    }
    std::cout << RenderLine(tokens, [&](char c) { return Field(g, c); }) << "\n";
  }
  return 0;
}

int RunInfo(const Args& args) {
  const std::string prog = "drover info";
  CLI::App app{"drover info: nodes and partitions", prog};
  app.set_help_flag("--help", "print this help");
  bool json = false, no_color = false, noheader = false;
  std::string partition, format, long_fields, states, node_filter;
  bool per_node = false, reasons = false;
  std::optional<std::string> config;
  app.add_option("-p,--partition", partition, "only this partition");
  app.add_flag("-h,--noheader", noheader, "no header lines");
  app.add_option("-o,--format", format, "sinfo's %-format instead of the table, e.g. '%P %N'");
  app.add_option("-O,--Format", long_fields, "sinfo's fields by name instead of the table");
  app.add_option("-t,--states", states, "only nodes in these states, as sinfo -t (sinfo's output)");
  app.add_option("-n,--nodes", node_filter, "only these nodes, as sinfo -n (sinfo's output)");
  app.add_flag("-N,--Node", per_node, "one line per node, as sinfo -N");
  app.add_flag("-R,--list-reasons", reasons, "why nodes are down, as sinfo -R");
  app.add_flag("--json", json, "print JSON (the fields of QueryNodesResponse in docs/user-guide.md)");
  app.add_flag("--no-color", no_color, "no colour even on a terminal (also: NO_COLOR=1)");
  app.add_option("--config", config, "drover configuration file");
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    return UsageError(app, prog, e);
  }
  if (!format.empty() || !long_fields.empty() || !states.empty() || !node_filter.empty() || per_node || reasons) {
    // sinfo's views: let sinfo print them, with the same filters.
    Args si;
    for (const auto& [flag, value] : {std::pair<const char*, const std::string*>{"-o", &format}, {"-O", &long_fields},
                                      {"-t", &states}, {"-n", &node_filter}, {"-p", &partition}}) {
      if (!value->empty()) si.insert(si.end(), {flag, *value});
    }
    if (per_node) si.push_back("-N");
    if (reasons) si.push_back("-R");
    if (noheader) si.push_back("-h");
    if (json) si.push_back("--json");
    if (config) si.insert(si.end(), {"--config", *config});
    return RunSinfo(si);
  }
  auto nodes = FetchNodes(config);
  if (!nodes.ok()) return ReportError(prog, nodes.status());
  if (!partition.empty()) {
    const auto& parts = nodes->partitions();
    if (std::none_of(parts.begin(), parts.end(), [&](const v1::PartitionInfo& p) { return p.name() == partition; })) {
      return ReportError(prog, Status::NotFound("no partition '" + partition + "'"));
    }
  }
  if (json) {
    if (!partition.empty()) {  // only that partition and its nodes
      v1::QueryNodesResponse only;
      only.set_cluster_name(nodes->cluster_name());
      for (const auto& p : nodes->partitions()) {
        if (p.name() != partition) continue;
        *only.add_partitions() = p;
        for (const auto& n : nodes->nodes()) {
          if (std::find(p.nodes().begin(), p.nodes().end(), n.name()) != p.nodes().end()) *only.add_nodes() = n;
        }
      }
      *nodes = only;
    }
    std::cout << ToJson(*nodes);
    return 0;
  }
  const size_t width = OutputWidth(1);
  const bool color = ShouldColor(no_color, IsTerminal(1), getenv("NO_COLOR"), getenv("TERM"));
  if (!noheader) std::cout << "cluster " << nodes->cluster_name() << "\n\n";
  std::vector<TableColumn> columns = {{"PARTITION", false, true, 6}, {"AVAIL", false, false, 5},
                                      {"TIMELIMIT", true, false, 5}, {"NODES", true, false, 5},
                                      {"STATE", false, false, 5},    {"CPUS(A/I/O/T)", true, false, 5},
                                      {"MEM(MB)", true, false, 5},   {"NODELIST", false, true, 8},
                                      {"FREE/TOTAL CORES BY KIND", false, true, 8}};
  std::vector<std::vector<std::string>> rows;
  for (const auto& g : GroupNodes(*nodes, ParseFormat("%P %a %l %T %m"), partition, false)) {
    rows.push_back({Field(g, 'P'), Field(g, 'a'), Field(g, 'l'), Field(g, 'D'), Field(g, 'T'), Field(g, 'C'),
                    Field(g, 'm'), Field(g, 'N'), Field(g, 'K')});
  }
  TableOptions options;
  options.width = width;
  options.header = !noheader;
  if (color) {
    options.color = [](size_t column, const std::string& cell) -> std::string_view {
      return column == 1 || column == 4 ? StateColor(cell) : std::string_view();
    };
  }
  std::cout << RenderTable(columns, rows, options);
  if (noheader) return 0;
  // What confines jobs on each node, so that "no memory limit there" is never a surprise.
  std::vector<std::pair<std::string, std::vector<std::string>>> confinement;
  for (const auto& n : nodes->nodes()) {
    if (n.cgroups().empty()) continue;  // not registered since the controller started
    auto it = std::find_if(confinement.begin(), confinement.end(), [&](const auto& e) { return e.first == n.cgroups(); });
    if (it == confinement.end()) it = confinement.insert(confinement.end(), {n.cgroups(), {}});
    it->second.push_back(n.name());
  }
  if (!confinement.empty()) std::cout << "\nNODELIST       CGROUPS\n";
  for (const auto& [text, names] : confinement) {
    std::cout << Justify(CompressHostlist(names), 14, false) << " " << text << "\n";
  }
  bool any_reason = false;
  for (const auto& n : nodes->nodes()) {
    if (n.reason().empty()) continue;
    if (!any_reason) std::cout << "\nNODE       STATE      REASON\n";
    any_reason = true;
    std::cout << Justify(n.name(), 10, false) << " " << Justify(StateText(n, false), 10, false) << " "
              << n.reason() << "\n";
  }
  return 0;
}

}  // namespace drover::cli
