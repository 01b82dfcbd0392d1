#include "cli/long_format.h"
#include "common/text.h"

#include <cctype>
#include <cstdlib>

namespace drover::cli {
namespace {

bool SameName(std::string_view a, std::string_view b) { return EqualsIgnoreCase(a, b); }

}  // namespace

const LongNames& SqueueLongNames() {
  static const LongNames kNames = {
      {"Account", 'a'},     {"JobArrayID", 'i'},  {"JobID", 'A'},         {"ArrayJobID", 'F'},
      {"ArrayTaskID", 'K'}, {"Name", 'j'},        {"UserName", 'u'},      {"UserID", 'U'},
      {"GroupID", 'G'},     {"StateCompact", 't'}, {"State", 'T'},        {"TimeUsed", 'M'},
      {"TimeLeft", 'L'},    {"TimeLimit", 'l'},   {"NumNodes", 'D'},      {"NumCPUs", 'C'},
      {"MinCpus", 'c'},     {"MinMemory", 'm'},   {"NodeList", 'N'},      {"BatchHost", 'B'},
      {"Partition", 'P'},   {"Reason", 'r'},      {"ReasonList", 'R'},    {"StartTime", 'S'},
      {"SubmitTime", 'V'},  {"EndTime", 'e'},     {"WorkDir", 'Z'},       {"Comment", 'k'},
      {"Command", 'o'},     {"QOS", 'q'},         {"Priority", 'p'},      {"PriorityLong", 'Q'},
  };
  return kNames;
}

const LongNames& SinfoLongNames() {
  static const LongNames kNames = {
      {"Partition", 'P'}, {"PartitionName", 'R'}, {"Available", 'a'}, {"Time", 'l'},
      {"Nodes", 'D'},     {"StateCompact", 't'},  {"StateLong", 'T'},  {"State", 't'},
      {"NodeList", 'N'},  {"NodeHost", 'n'},      {"CPUs", 'c'},       {"Memory", 'm'},
      {"Features", 'f'},  {"CPUsState", 'C'},     {"Reason", 'E'},     {"CPUsLoad", 'O'},
      {"FreeMem", 'e'},   {"NodeAIOT", 'F'},
  };
  return kNames;
}

Result<std::string> LongFormatToPercent(std::string_view spec, const LongNames& names) {
  std::string out;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string_view::npos) comma = spec.size();
    const std::string_view item = spec.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) {
      if (comma == spec.size()) break;
      continue;
    }
    const size_t colon = item.find(':');
    const std::string_view name = item.substr(0, colon);
    char letter = 0;
    for (const auto& [n, c] : names) {
      if (SameName(n, name)) letter = c;
    }
    if (letter == 0) {
      std::string known;
      for (const auto& [n, c] : names) known += (known.empty() ? "" : ", ") + n;
      return Status::InvalidArgument("invalid field '" + std::string(name) + "' in --Format: use " + known);
    }
    bool right = false;
    long width = 20;
    std::string suffix;
    if (colon != std::string_view::npos) {
      std::string rest(item.substr(colon + 1));
      size_t i = 0;
      if (i < rest.size() && rest[i] == '.') {
        right = true;
        ++i;
      }
      width = 0;
      while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) {
        width = width * 10 + (rest[i] - '0');
        if (width > 100000) return Status::InvalidArgument("field width too large in '" + std::string(item) + "'");
        ++i;
      }
      suffix = rest.substr(i);
    }
    out += '%';
    if (right) out += '.';
    if (width > 0) out += std::to_string(width);  // 0: the value as long as it is
    out += letter;
    for (char c : suffix) out += (c == '%') ? std::string("%%") : std::string(1, c);
    if (comma == spec.size()) break;
  }
  if (out.empty()) return Status::InvalidArgument("empty --Format: give fields such as JobID,State");
  return out;
}

}  // namespace drover::cli
