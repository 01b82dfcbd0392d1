#include "common/config.h"

#include <openssl/evp.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "common/hostlist.h"
#include "common/units.h"

namespace drover {
namespace {

constexpr uint32_t kMinFrameBytes = 4096;

std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string Describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return Quote(n.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "an empty value";
    default:
      return "nothing";
  }
}

std::string Join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// Host, node and partition names end up in hostlists, file names and certificates, so only the
// characters all of those accept.
bool IsValidName(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.front() == '.') return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

bool IsValidFeature(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsNameChar(c) && c != ':' && c != '+') return false;
  }
  return true;
}

// "0-3,8,10-11" -> the ids, ascending; nullopt if malformed or an id repeats.
std::optional<std::vector<uint32_t>> ParseCpuIds(const std::string& text) {
  std::vector<uint32_t> ids;
  size_t pos = 0;
  const auto number = [&](uint32_t& out) {
    const size_t start = pos;
    uint64_t n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 6) {
      n = n * 10 + static_cast<uint64_t>(text[pos++] - '0');
    }
    out = static_cast<uint32_t>(n);
    return pos > start;
  };
  while (true) {
    uint32_t lo = 0, hi = 0;
    if (!number(lo)) return std::nullopt;
    hi = lo;
    if (pos < text.size() && text[pos] == '-') {
      ++pos;
      if (!number(hi) || hi < lo) return std::nullopt;
    }
    for (uint32_t i = lo; i <= hi; ++i) ids.push_back(i);
    if (pos == text.size()) break;
    if (text[pos++] != ',') return std::nullopt;
  }
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return std::nullopt;
  return ids;
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// A key and its value, remembered together: an empty value has no useful mark of its own
// (yaml-cpp points it at the next line), so errors about it point at the key.
struct Field {
  YAML::Node key;
  YAML::Node value;
  std::string path;

  YAML::Mark Where() const { return value.IsNull() ? key.Mark() : value.Mark(); }
};

// Errors carry "FILE:LINE:COL: key.path: expected ..., got ..."; the parser stops at the first.
class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  Status Parse(const YAML::Node& root, Config& config);

 private:
  Status Error(const YAML::Mark& mark, const std::string& path, const std::string& message) const {
    // yaml-cpp counts from 0; editors count from 1.
    const int line = mark.line >= 0 ? mark.line + 1 : 1;
    const int column = mark.column >= 0 ? mark.column + 1 : 1;
    return Status::InvalidArgument(file_ + ":" + std::to_string(line) + ":" +
                                   std::to_string(column) + ": " + path + ": " + message);
  }
  Status Expected(const Field& f, const std::string& what) const {
    return Error(f.Where(), f.path, "expected " + what + ", got " + Describe(f.value));
  }

  // Checks that `node` is a mapping with known, unique keys and returns its fields by key.
  Status ReadMap(const YAML::Node& node, const YAML::Mark& where, const std::string& path,
                 std::initializer_list<const char*> valid, std::map<std::string, Field>& out);
  Status Missing(const YAML::Mark& where, const std::string& path, const std::string& what) const {
    return Error(where, path, "expected " + what + ", got nothing (the key is missing)");
  }

  Status ReadString(const Field& f, const char* what, bool allow_empty, std::string& out) const;
  Status ReadName(const Field& f, const char* what, std::string& out) const;
  Status ReadUint(const Field& f, uint64_t min, uint64_t max, const std::string& what,
                  uint64_t& out) const;
  Status ReadSeconds(const Field& f, uint64_t min, uint32_t& out) const;
  Status ReadPort(const Field& f, uint16_t& out) const;
  Status ReadBool(const Field& f, bool& out) const;
  Status ReadMemory(const Field& f, uint64_t& out) const;
  Status ReadTimeLimit(const Field& f, uint32_t& out) const;
  Status ReadHostlist(const Field& f, std::vector<std::string>& out) const;
  Status ReadNameList(const Field& f, const char* what, std::vector<std::string>& out) const;
  Status ReadCores(const Field& f, std::vector<CoreKindConfig>& out);
  Status OrderKinds(const Field* kinds_field, Config& c) const;

  Status ParseController(const Field& f, Config& c);
  Status ParseTls(const Field& f, Config& c);
  Status ParseTimeouts(const Field& f, Config& c);
  Status ParseCredentials(const Field& f, Config& c);
  Status ParseLimits(const Field& f, Config& c);
  Status ParseScheduling(const Field& f, Config& c);
  Status ParseCgroups(const Field& f, Config& c);
  Status ReadAbsolutePath(const Field& f, const char* what, std::string& out) const;
  Status ParseNodes(const Field& f, Config& c);
  Status ParsePartitions(const Field& f, Config& c);

  std::string file_;
};

Status Parser::ReadMap(const YAML::Node& node, const YAML::Mark& where, const std::string& path,
                       std::initializer_list<const char*> valid,
                       std::map<std::string, Field>& out) {
  std::vector<std::string> names(valid.begin(), valid.end());
  if (!node.IsMap()) {
    return Error(node.IsNull() ? where : node.Mark(), path.empty() ? "document" : path,
                 "expected a mapping with keys " + Join(names, ", ") + ", got " + Describe(node));
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: yaml-cpp's iterator hands out a temporary pair, references to it dangle.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const std::string key_text = key.IsScalar() ? key.Scalar() : "";
    const std::string key_path = Child(path, key.IsScalar() ? key_text : "?");
    bool known = false;
    for (const std::string& n : names) known = known || n == key_text;
    if (!key.IsScalar() || !known) {
      return Error(key.Mark(), key_path,
                   "expected one of the keys " + Join(names, ", ") + ", got " +
                       (key.IsScalar() ? "unknown key " : "a key that is ") + Describe(key));
    }
    auto [pos, inserted] = out.emplace(key_text, Field{key, value, key_path});
    if (!inserted) {
      return Error(key.Mark(), key_path,
                   "expected each key once, got it again (first at line " +
                       std::to_string(pos->second.key.Mark().line + 1) + ")");
    }
  }
  return Status::Ok();
}

Status Parser::ReadString(const Field& f, const char* what, bool allow_empty,
                          std::string& out) const {
  if (f.value.IsNull() && allow_empty) {
    out.clear();
    return Status::Ok();
  }
  if (!f.value.IsScalar() || (!allow_empty && f.value.Scalar().empty())) return Expected(f, what);
  out = f.value.Scalar();
  return Status::Ok();
}

Status Parser::ReadName(const Field& f, const char* what, std::string& out) const {
  if (!f.value.IsScalar() || !IsValidName(f.value.Scalar())) {
    return Expected(f, std::string(what) + " (letters, digits, '-', '_', '.')");
  }
  out = f.value.Scalar();
  return Status::Ok();
}

Status Parser::ReadUint(const Field& f, uint64_t min, uint64_t max, const std::string& what,
                        uint64_t& out) const {
  const std::string range = " between " + std::to_string(min) + " and " + std::to_string(max);
  if (!f.value.IsScalar()) return Expected(f, what);
  const std::string& s = f.value.Scalar();
  if (s.empty() || s.size() > 19) return Expected(f, what + range);
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Expected(f, what);
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n < min || n > max) return Expected(f, what + range);
  out = n;
  return Status::Ok();
}

Status Parser::ReadSeconds(const Field& f, uint64_t min, uint32_t& out) const {
  uint64_t n = 0;
  DROVER_RETURN_IF_ERROR(ReadUint(
      f, min, std::numeric_limits<uint32_t>::max(),
      min > 0 ? "a positive integer number of seconds" : "a non-negative integer number of seconds",
      n));
  out = static_cast<uint32_t>(n);
  return Status::Ok();
}

Status Parser::ReadPort(const Field& f, uint16_t& out) const {
  uint64_t n = 0;
  DROVER_RETURN_IF_ERROR(ReadUint(f, 1, 65535, "a TCP port number", n));
  out = static_cast<uint16_t>(n);
  return Status::Ok();
}

Status Parser::ReadBool(const Field& f, bool& out) const {
  // YAML 1.1 spellings, which yaml-cpp itself also accepts.
  if (f.value.IsScalar()) {
    const std::string s = Lower(f.value.Scalar());
    if (s == "true" || s == "yes" || s == "on") {
      out = true;
      return Status::Ok();
    }
    if (s == "false" || s == "no" || s == "off") {
      out = false;
      return Status::Ok();
    }
  }
  return Expected(f, "true or false");
}

Status Parser::ReadMemory(const Field& f, uint64_t& out) const {
  constexpr const char* kWhat =
      "a positive memory size: an integer number of MB or a number with K, M, G or T (e.g. 15G)";
  if (!f.value.IsScalar()) return Expected(f, kWhat);
  Result<uint64_t> mb = ParseMemoryMB(f.value.Scalar());
  if (!mb.ok() || *mb == 0) return Expected(f, kWhat);
  out = *mb;
  return Status::Ok();
}

Status Parser::ReadTimeLimit(const Field& f, uint32_t& out) const {
  constexpr const char* kWhat =
      "a positive time limit: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S or UNLIMITED";
  if (!f.value.IsScalar()) return Expected(f, kWhat);
  Result<uint32_t> minutes = ParseTimeLimitMinutes(f.value.Scalar());
  if (!minutes.ok() || *minutes == 0) return Expected(f, kWhat);
  // PartitionConfig spells "no limit" as 0.
  out = *minutes == kUnlimitedMinutes ? 0 : *minutes;
  return Status::Ok();
}

Status Parser::ReadHostlist(const Field& f, std::vector<std::string>& out) const {
  constexpr const char* kWhat = "a hostlist such as node[1-2,4]";
  if (!f.value.IsScalar()) return Expected(f, kWhat);
  Result<std::vector<std::string>> names = ExpandHostlist(f.value.Scalar());
  if (!names.ok()) {
    return Error(f.Where(), f.path,
                 "expected " + std::string(kWhat) + ", got " + Describe(f.value) + " (" +
                     names.status().message() + ")");
  }
  if (names->empty()) return Expected(f, std::string(kWhat) + " naming at least one node");
  for (const std::string& n : *names) {
    if (!IsValidName(n)) {
      return Error(f.Where(), f.path,
                   "expected node names of letters, digits, '-', '_', '.', got " + Quote(n));
    }
  }
  out = std::move(*names);
  return Status::Ok();
}

Status Parser::ReadNameList(const Field& f, const char* what,
                            std::vector<std::string>& out) const {
  if (!f.value.IsSequence()) return Expected(f, std::string("a list of ") + what);
  for (size_t k = 0; k < f.value.size(); ++k) {
    const Field item{f.key, f.value[k], Index(f.path, k)};
    std::string name;
    DROVER_RETURN_IF_ERROR(ReadName(item, what, name));
    if (std::find(out.begin(), out.end(), name) != out.end()) {
      return Error(item.Where(), item.path, "expected each name once, got " + Quote(name) + " again");
    }
    out.push_back(std::move(name));
  }
  return Status::Ok();
}

// cores: {little: "0-3", big: "4-7"} or {big: {cpus: "4-7", capacity: 1024}, ...}
Status Parser::ReadCores(const Field& f, std::vector<CoreKindConfig>& out) {
  constexpr const char* kIds = "CPU ids such as \"0-3\" or \"0,2,4-7\"";
  if (!f.value.IsMap() || f.value.size() == 0) {
    return Expected(f, "a mapping of core kinds to CPU ids, such as {little: \"0-3\", big: \"4-7\"}");
  }
  std::set<uint32_t> seen;
  for (auto it = f.value.begin(); it != f.value.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const Field kind_field{key, key, f.path};
    CoreKindConfig k;
    DROVER_RETURN_IF_ERROR(ReadName(kind_field, "a core kind name", k.kind));
    for (const auto& prior : out) {
      if (prior.kind == k.kind) {
        return Error(key.Mark(), Child(f.path, k.kind), "expected each kind once, got it again");
      }
    }
    Field ids{key, value, Child(f.path, k.kind)};
    if (value.IsMap()) {
      std::map<std::string, Field> m;
      DROVER_RETURN_IF_ERROR(ReadMap(value, key.Mark(), ids.path, {"cpus", "capacity"}, m));
      auto cpus = m.find("cpus");
      if (cpus == m.end()) return Missing(key.Mark(), Child(ids.path, "cpus"), kIds);
      ids = cpus->second;
      if (auto cap = m.find("capacity"); cap != m.end()) {
        uint64_t n = 0;
        DROVER_RETURN_IF_ERROR(ReadUint(cap->second, 1, 1u << 20, "a positive integer", n));
        k.capacity = static_cast<uint32_t>(n);
      }
    }
    std::optional<std::vector<uint32_t>> parsed;
    if (ids.value.IsScalar()) parsed = ParseCpuIds(ids.value.Scalar());
    if (!parsed.has_value()) return Expected(ids, kIds);
    for (uint32_t id : *parsed) {
      if (!seen.insert(id).second) {
        return Error(ids.Where(), ids.path,
                     "expected CPU ids no other kind has, got CPU " + std::to_string(id) +
                         " again");
      }
    }
    k.cpu_ids = std::move(*parsed);
    out.push_back(std::move(k));
  }
  return Status::Ok();
}

Status Parser::OrderKinds(const Field* kinds_field, Config& c) const {
  std::map<std::string, uint32_t> capacity;  // the highest given for the kind on any node
  std::vector<std::string> used;
  for (const auto& n : c.nodes) {
    for (const auto& k : n.cores) {
      if (capacity.emplace(k.kind, k.capacity).second) {
        used.push_back(k.kind);
      } else {
        capacity[k.kind] = std::max(capacity[k.kind], k.capacity);
      }
    }
  }
  if (kinds_field != nullptr) {
    std::vector<std::string> listed;
    DROVER_RETURN_IF_ERROR(ReadNameList(*kinds_field, "a core kind name", listed));
    for (const auto& k : used) {
      // "default" (from `cpus: N`) needs no place in the list: it is the only kind there.
      if (k != kDefaultCoreKind && std::find(listed.begin(), listed.end(), k) == listed.end()) {
        return Error(kinds_field->Where(), kinds_field->path,
                     "expected every core kind the nodes use, fastest first, got a list "
                     "without " + Quote(k));
      }
    }
    c.cpu_kinds = listed;
    if (capacity.count(kDefaultCoreKind) != 0 &&
        std::find(listed.begin(), listed.end(), kDefaultCoreKind) == listed.end()) {
      c.cpu_kinds.push_back(kDefaultCoreKind);
    }
    return Status::Ok();
  }
  c.cpu_kinds = used;
  std::sort(c.cpu_kinds.begin(), c.cpu_kinds.end(), [&](const auto& a, const auto& b) {
    if (capacity[a] != capacity[b]) return capacity[a] > capacity[b];
    return a < b;
  });
  return Status::Ok();
}

Status Parser::Parse(const YAML::Node& root, Config& c) {
  std::map<std::string, Field> top;
  DROVER_RETURN_IF_ERROR(ReadMap(
      root, root.Mark(), "",
      {"cluster", "controller", "state_dir", "spool_dir", "log_dir", "auth_socket", "key_file",
       "next_key_file", "operators", "private_jobs", "tls", "timeouts", "credentials", "limits",
       "scheduling", "kinds", "topology_policy", "nodes", "partitions", "cgroups", "prolog", "epilog", "prolog_timeout"},
      top));
  const auto get = [&](const char* key) -> const Field* {
    auto it = top.find(key);
    return it == top.end() ? nullptr : &it->second;
  };

  if (const Field* f = get("cluster"))
    DROVER_RETURN_IF_ERROR(ReadName(*f, "a cluster name", c.cluster_name));
  const Field* controller = get("controller");
  if (controller == nullptr) {
    return Missing(root.Mark(), "controller.host", "the controller's host name");
  }
  DROVER_RETURN_IF_ERROR(ParseController(*controller, c));

  const std::pair<const char*, std::string*> paths[] = {{"state_dir", &c.state_dir},
                                                        {"spool_dir", &c.spool_dir},
                                                        {"auth_socket", &c.auth_socket},
                                                        {"key_file", &c.key_file}};
  for (const auto& [key, out] : paths) {
    if (const Field* f = get(key)) DROVER_RETURN_IF_ERROR(ReadString(*f, "a path", false, *out));
  }
  if (const Field* f = get("next_key_file")) {
    DROVER_RETURN_IF_ERROR(
        ReadString(*f, "a path, or \"\" when no key rotation is under way", true, c.next_key_file));
  }
  if (const Field* f = get("operators")) {
    DROVER_RETURN_IF_ERROR(ReadNameList(*f, "a user name", c.operators));
  }
  if (const Field* f = get("private_jobs")) DROVER_RETURN_IF_ERROR(ReadBool(*f, c.private_jobs));
  if (const Field* f = get("log_dir")) {
    DROVER_RETURN_IF_ERROR(ReadString(*f, "a directory path or \"\" for stderr", true, c.log_dir));
  }
  if (const Field* f = get("tls")) DROVER_RETURN_IF_ERROR(ParseTls(*f, c));
  if (const Field* f = get("timeouts")) DROVER_RETURN_IF_ERROR(ParseTimeouts(*f, c));
  if (const Field* f = get("credentials")) DROVER_RETURN_IF_ERROR(ParseCredentials(*f, c));
  if (const Field* f = get("limits")) DROVER_RETURN_IF_ERROR(ParseLimits(*f, c));
  if (const Field* f = get("scheduling")) DROVER_RETURN_IF_ERROR(ParseScheduling(*f, c));
  // A configuration file's default is "auto": inside noded's own cgroup when systemd delegated
  // it (cgroup v2), else "drover" (noded/cgroup_placement.h). Config{} built in code keeps
  // "drover".
  c.cgroup_parent = "auto";
  if (const Field* f = get("cgroups")) DROVER_RETURN_IF_ERROR(ParseCgroups(*f, c));
  for (const auto& [key, out] : {std::pair<const char*, std::string*>{"prolog", &c.prolog}, {"epilog", &c.epilog}}) {
    if (const Field* f = get(key)) DROVER_RETURN_IF_ERROR(ReadAbsolutePath(*f, "an absolute path to a script, or \"\" for none", *out));
  }
  if (const Field* f = get("prolog_timeout")) DROVER_RETURN_IF_ERROR(ReadSeconds(*f, 1, c.prolog_timeout_s));
  if (const Field* f = get("topology_policy")) {
    const std::string p = f->value.IsScalar() ? Lower(f->value.Scalar()) : "";
    if (p == "strict") {
      c.topology_policy = TopologyPolicy::kStrict;
    } else if (p == "config") {
      c.topology_policy = TopologyPolicy::kConfig;
    } else if (p == "hardware") {
      c.topology_policy = TopologyPolicy::kHardware;
    } else {
      return Expected(*f, "strict, config or hardware");
    }
  }
  if (const Field* f = get("nodes")) DROVER_RETURN_IF_ERROR(ParseNodes(*f, c));
  DROVER_RETURN_IF_ERROR(OrderKinds(get("kinds"), c));
  if (const Field* f = get("partitions")) DROVER_RETURN_IF_ERROR(ParsePartitions(*f, c));
  return Status::Ok();
}

Status Parser::ParseController(const Field& f, Config& c) {
  std::map<std::string, Field> m;
  DROVER_RETURN_IF_ERROR(ReadMap(f.value, f.Where(), f.path, {"host", "address", "port"}, m));
  auto host = m.find("host");
  if (host == m.end()) {
    return Missing(f.Where(), Child(f.path, "host"), "the controller's host name");
  }
  DROVER_RETURN_IF_ERROR(ReadName(host->second, "the controller's host name", c.controller_host));
  c.controller_address = c.controller_host;
  if (auto it = m.find("address"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(
        ReadString(it->second, "a host name or IP address", false, c.controller_address));
  }
  if (auto it = m.find("port"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadPort(it->second, c.controller_port));
  }
  return Status::Ok();
}

Status Parser::ParseTls(const Field& f, Config& c) {
  std::map<std::string, Field> m;
  DROVER_RETURN_IF_ERROR(ReadMap(f.value, f.Where(), f.path, {"ca", "cert", "key"}, m));
  const std::pair<const char*, std::string*> keys[] = {
      {"ca", &c.tls_ca}, {"cert", &c.tls_cert}, {"key", &c.tls_key}};
  for (const auto& [key, out] : keys) {
    if (auto it = m.find(key); it != m.end()) {
      DROVER_RETURN_IF_ERROR(ReadString(it->second, "a path", false, *out));
    }
  }
  return Status::Ok();
}

Status Parser::ParseTimeouts(const Field& f, Config& c) {
  std::map<std::string, Field> m;
  DROVER_RETURN_IF_ERROR(ReadMap(f.value, f.Where(), f.path,
                                 {"heartbeat_interval", "node_timeout", "kill_wait", "idle"}, m));
  const struct {
    const char* key;
    uint64_t min;
    uint32_t* out;
  } keys[] = {{"heartbeat_interval", 1, &c.heartbeat_interval_s},
              {"node_timeout", 1, &c.node_timeout_s},
              {"kill_wait", 0, &c.kill_wait_s},
              {"idle", 1, &c.idle_timeout_s}};
  for (const auto& k : keys) {
    if (auto it = m.find(k.key); it != m.end()) {
      DROVER_RETURN_IF_ERROR(ReadSeconds(it->second, k.min, *k.out));
    }
  }
  // A node must be allowed to miss a heartbeat, or every delay marks it DOWN.
  if (c.node_timeout_s <= c.heartbeat_interval_s) {
    auto it = m.find("node_timeout");
    if (it == m.end()) it = m.find("heartbeat_interval");
    return Error(it->second.Where(), it->second.path,
                 "expected node_timeout (" + std::to_string(c.node_timeout_s) +
                     ") greater than heartbeat_interval (" +
                     std::to_string(c.heartbeat_interval_s) + "), got " +
                     Describe(it->second.value));
  }
  return Status::Ok();
}

Status Parser::ParseCredentials(const Field& f, Config& c) {
  std::map<std::string, Field> m;
  DROVER_RETURN_IF_ERROR(ReadMap(f.value, f.Where(), f.path, {"ttl", "clock_skew"}, m));
  if (auto it = m.find("ttl"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadSeconds(it->second, 1, c.credential_ttl_s));
  }
  if (auto it = m.find("clock_skew"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadSeconds(it->second, 0, c.clock_skew_s));
  }
  return Status::Ok();
}

Status Parser::ParseLimits(const Field& f, Config& c) {
  std::map<std::string, Field> m;
  DROVER_RETURN_IF_ERROR(ReadMap(f.value, f.Where(), f.path, {"max_frame_bytes"}, m));
  if (auto it = m.find("max_frame_bytes"); it != m.end()) {
    uint64_t n = 0;
    DROVER_RETURN_IF_ERROR(ReadUint(it->second, kMinFrameBytes,
                                    std::numeric_limits<uint32_t>::max(), "a number of bytes", n));
    c.max_frame_bytes = static_cast<uint32_t>(n);
  }
  return Status::Ok();
}

Status Parser::ParseScheduling(const Field& f, Config& c) {
  std::map<std::string, Field> m;
  DROVER_RETURN_IF_ERROR(ReadMap(
      f.value, f.Where(), f.path,
      {"default_mem_per_cpu", "min_job_age", "allow_root_jobs", "priority_weight_age",
       "priority_weight_fairshare", "priority_weight_job_size", "priority_weight_partition",
       "priority_max_age", "fairshare_half_life", "backfill", "reservations", "accounting_retention",
       "job_requeue", "event_pass_depth", "event_pass_threshold"},
      m));
  const std::pair<const char*, uint32_t*> weights[] = {
      {"priority_weight_age", &c.priority_weight_age},
      {"priority_weight_fairshare", &c.priority_weight_fairshare},
      {"priority_weight_job_size", &c.priority_weight_job_size},
      {"priority_weight_partition", &c.priority_weight_partition}};
  for (const auto& [key, out] : weights) {
    if (auto it = m.find(key); it != m.end()) {
      uint64_t n = 0;
      // Small enough that the sum of four weights stays far from overflow.
      DROVER_RETURN_IF_ERROR(ReadUint(it->second, 0, 1'000'000'000, "a non-negative integer", n));
      *out = static_cast<uint32_t>(n);
    }
  }
  if (auto it = m.find("priority_max_age"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadSeconds(it->second, 1, c.priority_max_age_s));
  }
  if (auto it = m.find("fairshare_half_life"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadSeconds(it->second, 1, c.fairshare_half_life_s));
  }
  if (auto it = m.find("backfill"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadBool(it->second, c.backfill));
  }
  if (auto it = m.find("reservations"); it != m.end()) {
    uint64_t n = 0;
    DROVER_RETURN_IF_ERROR(ReadUint(it->second, 1, 1000, "a positive integer", n));
    c.reservations = static_cast<uint32_t>(n);
  }
  const std::pair<const char*, uint32_t*> event_pass[] = {{"event_pass_depth", &c.event_pass_depth},
                                                          {"event_pass_threshold", &c.event_pass_threshold}};
  for (const auto& [key, out] : event_pass) {
    if (auto it = m.find(key); it != m.end()) {
      uint64_t n = 0;
      DROVER_RETURN_IF_ERROR(ReadUint(it->second, 1, 100'000'000, "a positive integer", n));
      *out = static_cast<uint32_t>(n);
    }
  }
  if (auto it = m.find("default_mem_per_cpu"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadMemory(it->second, c.default_mem_per_cpu_mb));
  }
  if (auto it = m.find("min_job_age"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadSeconds(it->second, 0, c.min_job_age_s));
  }
  if (auto it = m.find("accounting_retention"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadSeconds(it->second, 0, c.accounting_retention_s));
  }
  if (auto it = m.find("allow_root_jobs"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadBool(it->second, c.allow_root_jobs));
  }
  if (auto it = m.find("job_requeue"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadBool(it->second, c.job_requeue));
  }
  return Status::Ok();
}

Status Parser::ReadAbsolutePath(const Field& f, const char* what, std::string& out) const {
  DROVER_RETURN_IF_ERROR(ReadString(f, what, true, out));
  if (!out.empty() && out[0] != '/') return Expected(f, what);
  return Status::Ok();
}

Status Parser::ParseCgroups(const Field& f, Config& c) {
  std::map<std::string, Field> m;
  DROVER_RETURN_IF_ERROR(ReadMap(f.value, f.Where(), f.path, {"enabled", "root", "parent", "pids_limit"}, m));
  if (auto it = m.find("enabled"); it != m.end()) DROVER_RETURN_IF_ERROR(ReadBool(it->second, c.cgroups_enabled));
  if (auto it = m.find("root"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(
        ReadAbsolutePath(it->second, "an absolute path (the cgroup mount), or \"\" to find it", c.cgroup_root));
  }
  if (auto it = m.find("parent"); it != m.end()) {
    const char* what =
        "auto, or a relative cgroup path such as drover (names of letters, digits, '-', '_', '.', joined by '/')";
    DROVER_RETURN_IF_ERROR(ReadString(it->second, what, false, c.cgroup_parent));
    std::stringstream parts(c.cgroup_parent);
    std::string part;
    bool ok = c.cgroup_parent.back() != '/';
    while (ok && std::getline(parts, part, '/')) ok = IsValidName(part) && part != "." && part != "..";
    if (!ok) return Expected(it->second, what);
  }
  if (auto it = m.find("pids_limit"); it != m.end()) {
    DROVER_RETURN_IF_ERROR(ReadUint(it->second, 0, 1u << 22, "a number of processes (0 = no limit)", c.cgroup_pids_limit));
  }
  return Status::Ok();
}

Status Parser::ParseNodes(const Field& f, Config& c) {
  if (f.value.IsNull()) return Status::Ok();
  if (!f.value.IsSequence()) return Expected(f, "a list of node entries");
  std::map<std::string, YAML::Mark> defined_at;
  for (size_t i = 0; i < f.value.size(); ++i) {
    const std::string path = Index(f.path, i);
    const YAML::Node entry = f.value[i];
    std::map<std::string, Field> m;
    DROVER_RETURN_IF_ERROR(ReadMap(entry, entry.Mark(), path,
                                   {"names", "cpus", "cores", "memory", "port", "address",
                                    "features"},
                                   m));
    NodeConfig proto;
    std::vector<std::string> names;
    auto it = m.find("names");
    if (it == m.end())
      return Missing(entry.Mark(), Child(path, "names"), "a hostlist of node names");
    DROVER_RETURN_IF_ERROR(ReadHostlist(it->second, names));
    const Field names_field = it->second;

    auto cores = m.find("cores");
    if (cores != m.end()) DROVER_RETURN_IF_ERROR(ReadCores(cores->second, proto.cores));
    uint32_t core_count = 0;
    for (const auto& k : proto.cores) core_count += static_cast<uint32_t>(k.cpu_ids.size());
    it = m.find("cpus");
    if (it == m.end() && cores == m.end()) {
      return Missing(entry.Mark(), Child(path, "cpus"),
                     "a positive integer (or cores by kind under \"cores\")");
    }
    if (it != m.end()) {
      uint64_t cpus = 0;
      DROVER_RETURN_IF_ERROR(ReadUint(it->second, 1, std::numeric_limits<uint32_t>::max(),
                                      "a positive integer", cpus));
      if (cores != m.end() && cpus != core_count) {
        return Error(it->second.Where(), it->second.path,
                     "expected the number of CPU ids under cores (" + std::to_string(core_count) +
                         "), got " + Describe(it->second.value));
      }
      proto.cpus = static_cast<uint32_t>(cpus);
    } else {
      proto.cpus = core_count;
    }
    if (proto.cores.empty()) {
      CoreKindConfig k{kDefaultCoreKind, {}, 0};
      for (uint32_t i = 0; i < proto.cpus; ++i) k.cpu_ids.push_back(i);
      proto.cores.push_back(std::move(k));
    }

    it = m.find("memory");
    if (it == m.end()) {
      return Missing(entry.Mark(), Child(path, "memory"), "a memory size such as 15G");
    }
    DROVER_RETURN_IF_ERROR(ReadMemory(it->second, proto.memory_mb));

    if (it = m.find("port"); it != m.end())
      DROVER_RETURN_IF_ERROR(ReadPort(it->second, proto.port));
    if (it = m.find("address"); it != m.end()) {
      DROVER_RETURN_IF_ERROR(
          ReadString(it->second, "a host name or IP address", false, proto.address));
    }
    if (it = m.find("features"); it != m.end()) {
      const Field& ff = it->second;
      if (!ff.value.IsSequence()) return Expected(ff, "a list of feature names");
      for (size_t k = 0; k < ff.value.size(); ++k) {
        const Field feature{ff.key, ff.value[k], Index(ff.path, k)};
        if (!feature.value.IsScalar() || !IsValidFeature(feature.value.Scalar())) {
          return Expected(feature, "a feature name (letters, digits, '-', '_', '.', ':', '+')");
        }
        proto.features.push_back(feature.value.Scalar());
      }
    }

    for (const std::string& name : names) {
      auto [pos, inserted] = defined_at.emplace(name, names_field.Where());
      if (!inserted) {
        return Error(names_field.Where(), names_field.path,
                     "expected names not defined before, got " + Quote(name) +
                         " again (first defined at line " + std::to_string(pos->second.line + 1) +
                         ")");
      }
      NodeConfig node = proto;
      node.name = name;
      if (node.address.empty()) node.address = name;
      c.nodes.push_back(std::move(node));
    }
  }
  return Status::Ok();
}

Status Parser::ParsePartitions(const Field& f, Config& c) {
  if (f.value.IsNull()) return Status::Ok();
  if (!f.value.IsSequence()) return Expected(f, "a list of partition entries");
  std::optional<YAML::Mark> default_at;
  for (size_t i = 0; i < f.value.size(); ++i) {
    const std::string path = Index(f.path, i);
    const YAML::Node entry = f.value[i];
    std::map<std::string, Field> m;
    DROVER_RETURN_IF_ERROR(
        ReadMap(entry, entry.Mark(), path,
                {"name", "nodes", "default", "state", "max_time", "default_time", "max_nodes",
                 "allow_users", "allow_groups", "priority_tier"},
                m));
    PartitionConfig p;
    auto it = m.find("name");
    if (it == m.end()) return Missing(entry.Mark(), Child(path, "name"), "a partition name");
    DROVER_RETURN_IF_ERROR(ReadName(it->second, "a partition name", p.name));
    if (c.FindPartition(p.name) != nullptr) {
      return Error(it->second.Where(), it->second.path,
                   "expected a partition name not used before, got " + Quote(p.name) + " again");
    }

    it = m.find("nodes");
    if (it == m.end()) return Missing(entry.Mark(), Child(path, "nodes"), "a hostlist of nodes");
    DROVER_RETURN_IF_ERROR(ReadHostlist(it->second, p.nodes));
    std::set<std::string> seen;
    for (const std::string& n : p.nodes) {
      if (c.FindNode(n) == nullptr) {
        return Error(
            it->second.Where(), it->second.path,
            "expected names of nodes defined under \"nodes\", got unknown node " + Quote(n));
      }
      if (!seen.insert(n).second) {
        return Error(it->second.Where(), it->second.path,
                     "expected each node once, got " + Quote(n) + " twice");
      }
    }

    if (it = m.find("default"); it != m.end()) {
      DROVER_RETURN_IF_ERROR(ReadBool(it->second, p.is_default));
      if (p.is_default && default_at.has_value()) {
        return Error(it->second.Where(), it->second.path,
                     "expected at most one default partition, got a second one (the first is "
                     "at line " +
                         std::to_string(default_at->line + 1) + ")");
      }
      if (p.is_default) default_at = it->second.Where();
    }
    if (it = m.find("state"); it != m.end()) {
      const std::string s = it->second.value.IsScalar() ? Lower(it->second.value.Scalar()) : "";
      if (s == "up") {
        p.state = PartitionState::kUp;
      } else if (s == "down") {
        p.state = PartitionState::kDown;
      } else if (s == "drain") {
        p.state = PartitionState::kDrain;
      } else if (s == "inactive") {
        p.state = PartitionState::kInactive;
      } else {
        return Expected(it->second, "up, down, drain or inactive");
      }
      p.up = p.state == PartitionState::kUp || p.state == PartitionState::kDrain;
    }
    if (it = m.find("max_time"); it != m.end()) {
      DROVER_RETURN_IF_ERROR(ReadTimeLimit(it->second, p.max_time_minutes));
    }
    if (it = m.find("default_time"); it != m.end()) {
      DROVER_RETURN_IF_ERROR(ReadTimeLimit(it->second, p.default_time_minutes));
      const bool exceeds = p.max_time_minutes != 0 && (p.default_time_minutes == 0 ||
                                                       p.default_time_minutes > p.max_time_minutes);
      if (exceeds) {
        return Error(it->second.Where(), it->second.path,
                     "expected a time no longer than max_time (" +
                         FormatTimeLimit(p.max_time_minutes) + "), got " +
                         Describe(it->second.value));
      }
    }
    if (it = m.find("max_nodes"); it != m.end()) {
      uint64_t n = 0;
      DROVER_RETURN_IF_ERROR(ReadUint(it->second, 1, std::numeric_limits<uint32_t>::max(),
                                      "a positive integer", n));
      p.max_nodes = static_cast<uint32_t>(n);
    }
    if (it = m.find("allow_users"); it != m.end()) {
      DROVER_RETURN_IF_ERROR(ReadNameList(it->second, "a user name", p.allow_users));
    }
    if (it = m.find("allow_groups"); it != m.end()) {
      DROVER_RETURN_IF_ERROR(ReadNameList(it->second, "a group name", p.allow_groups));
    }
    if (it = m.find("priority_tier"); it != m.end()) {
      uint64_t n = 0;
      DROVER_RETURN_IF_ERROR(ReadUint(it->second, 0, 65535, "a non-negative integer", n));
      p.priority_tier = static_cast<uint32_t>(n);
    }
    c.partitions.push_back(std::move(p));
  }
  if (!default_at.has_value() && !c.partitions.empty()) c.partitions.front().is_default = true;
  return Status::Ok();
}

// Collects where each document of a stream starts and where its content (its first node)
// starts; the nodes themselves come from YAML::Load.
class DocumentStartRecorder : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { OnNode(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { OnNode(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    OnNode(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    OnNode(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    OnNode(mark);
  }
  void OnMapEnd() override {}

  std::vector<YAML::Mark> starts;
  std::vector<YAML::Mark> contents;  // one per document once it has been handled

 private:
  void OnNode(const YAML::Mark& mark) {
    if (contents.size() < starts.size()) contents.push_back(mark);
  }
};

// Where the content of every document in `text` starts. Not YAML::LoadAll: yaml-cpp 0.7 yields
// an empty document for a stray ',' outside a flow collection without consuming it, so LoadAll
// collects empty documents until memory runs out (found by tests/fuzz/config_fuzz). A document
// that starts where the previous one did is that case, and an error here. Throws
// YAML::Exception on invalid YAML.
Result<std::vector<YAML::Mark>> DocumentContents(const std::string& text,
                                                 const std::string& path) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStartRecorder recorder;
  while (parser.HandleNextDocument(recorder)) {
    const std::vector<YAML::Mark>& starts = recorder.starts;
    if (starts.size() >= 2 && starts[starts.size() - 1].pos == starts[starts.size() - 2].pos) {
      const YAML::Mark& at = starts.back();
      return Status::InvalidArgument(path + ":" + std::to_string(at.line + 1) + ":" +
                                     std::to_string(at.column + 1) +
                                     ": document: expected valid YAML, got a character that "
                                     "starts no value (a ',' outside [ ] or { }?)");
    }
  }
  return recorder.contents;
}

}  // namespace

const NodeConfig* Config::FindNode(const std::string& name) const {
  for (const NodeConfig& n : nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

const PartitionConfig* Config::FindPartition(const std::string& name) const {
  for (const PartitionConfig& p : partitions) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const PartitionConfig* Config::DefaultPartition() const {
  for (const PartitionConfig& p : partitions) {
    if (p.is_default) return &p;
  }
  // A Config built by hand may mark none; the parser's rule applies then too.
  return partitions.empty() ? nullptr : &partitions.front();
}

std::string Config::ForHost(const std::string& path_template, const std::string& host) {
  std::string out;
  out.reserve(path_template.size() + host.size());
  for (size_t i = 0; i < path_template.size(); ++i) {
    if (path_template[i] == '%' && i + 1 < path_template.size() && path_template[i + 1] == 'n') {
      out += host;
      ++i;
    } else {
      out += path_template[i];
    }
  }
  return out;
}

Result<Config> ParseConfig(const std::string& text, const std::string& path) {
  Config config;
  config.path = path;
  config.content_hash = Sha256Hex(text);
  // yaml-cpp reports every problem by throwing; nothing may escape this function.
  try {
    Result<std::vector<YAML::Mark>> docs = DocumentContents(text, path);
    if (!docs.ok()) return docs.status();
    if (docs->size() > 1) {
      return Status::InvalidArgument(path + ":" + std::to_string((*docs)[1].line + 1) +
                                     ":1: " + "document: expected one YAML document, got " +
                                     std::to_string(docs->size()) + " documents");
    }
    const YAML::Node doc = YAML::Load(text);
    if (doc.IsNull()) {
      return Status::InvalidArgument(path +
                                     ":1:1: document: expected a mapping of configuration keys, "
                                     "got an empty document");
    }
    Parser parser(path);
    DROVER_RETURN_IF_ERROR(parser.Parse(doc, config));
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 1;
    const int column = e.mark.column >= 0 ? e.mark.column + 1 : 1;
    return Status::InvalidArgument(path + ":" + std::to_string(line) + ":" +
                                   std::to_string(column) +
                                   ": document: expected valid YAML, got " + e.msg);
  } catch (const std::exception& e) {
    return Status::Internal(path + ": reading the configuration failed: " + e.what());
  }
  return config;
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string message =
        path + ": cannot read the configuration file: " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(message);
    if (err == EACCES) return Status::PermissionDenied(message);
    return Status::IoError(message);
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return Status::IoError(path + ": error while reading the configuration file");
  return ParseConfig(bytes.str(), path);
}

std::string ResolveConfigPath(const std::optional<std::string>& flag_value) {
  // Empty values count as unset: "--config=" or "DROVER_CONF=" must not select the cwd.
  if (flag_value.has_value() && !flag_value->empty()) return *flag_value;
  const char* env = std::getenv("DROVER_CONF");
  if (env != nullptr && env[0] != '\0') return env;
  return kDefaultConfigPath;
}

const char* TopologyPolicyName(TopologyPolicy p) {
  switch (p) {
    case TopologyPolicy::kStrict: return "strict";
    case TopologyPolicy::kConfig: return "config";
    case TopologyPolicy::kHardware: return "hardware";
  }
  return "strict";
}

}  // namespace drover
