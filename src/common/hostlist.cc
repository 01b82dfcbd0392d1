#include "common/hostlist.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace drover {
namespace {

// Slurm's MAX_RANGE: a bigger range is far more likely a typo than a cluster.
constexpr uint64_t kMaxNamesPerRange = 65536;
// Two bracket groups multiply; without a total cap "a[0-65535]-b[0-65535]" would exhaust memory.
constexpr size_t kMaxNamesTotal = 1u << 20;
// Longer digit runs could overflow uint64; no real host number is that long.
constexpr size_t kMaxDigits = 18;

bool IsSeparator(char c) { return c == ',' || c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status Invalid(std::string_view token, const std::string& why) {
  return Status::InvalidArgument("invalid hostlist \"" + std::string(token) + "\": " + why);
}

struct Range {
  uint64_t lo = 0;
  uint64_t hi = 0;
  int width = 0;  // digits of `lo` as written: "01" pads every number to two digits
};

std::string Padded(uint64_t n, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*llu", width, static_cast<unsigned long long>(n));
  return buf;
}

std::optional<uint64_t> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > kMaxDigits) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

// "1-3,7,09-10" -> ranges; `token` is only quoted in errors.
Result<std::vector<Range>> ParseRangeList(std::string_view list, std::string_view token) {
  std::vector<Range> ranges;
  size_t pos = 0;
  while (true) {
    size_t comma = list.find(',', pos);
    std::string_view item =
        list.substr(pos, comma == std::string_view::npos ? list.npos : comma - pos);
    size_t dash = item.find('-');
    std::string_view lo_text = item.substr(0, dash);
    std::string_view hi_text = dash == std::string_view::npos ? lo_text : item.substr(dash + 1);
    std::optional<uint64_t> lo = ParseNumber(lo_text);
    std::optional<uint64_t> hi = ParseNumber(hi_text);
    if (!lo || !hi) {
      return Invalid(token, "bad range \"" + std::string(item) +
                                "\" (expected N or LO-HI with non-negative integers)");
    }
    if (*lo > *hi) {
      return Invalid(token,
                     "range \"" + std::string(item) + "\" has its low end above its high end");
    }
    if (*hi - *lo + 1 > kMaxNamesPerRange) {
      return Invalid(token, "range \"" + std::string(item) + "\" has more than " +
                                std::to_string(kMaxNamesPerRange) + " names");
    }
    ranges.push_back({*lo, *hi, static_cast<int>(lo_text.size())});
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return ranges;
}

// One token: a plain name, "prefix[list]", or "a[list]b[list]" (at most two groups, the second
// one last), as Slurm's _hostlist_create_bracketed and _push_range_list accept.
Status ExpandToken(std::string_view token, std::vector<std::string>& out) {
  const size_t open = token.rfind('[');
  if (open == std::string_view::npos) {
    if (token.find(']') != std::string_view::npos) return Invalid(token, "\"]\" without \"[\"");
    out.emplace_back(token);
    return Status::Ok();
  }
  const size_t close = token.find(']', open);
  if (close == std::string_view::npos) return Invalid(token, "unbalanced brackets");
  if (close + 1 != token.size()) {
    return Invalid(token, "text after the last \"]\" (a bracket group must end the name)");
  }
  Result<std::vector<Range>> last = ParseRangeList(token.substr(open + 1, close - open - 1), token);
  if (!last.ok()) return last.status();

  // The prefix may carry one complete bracket group of its own.
  std::string_view prefix = token.substr(0, open);
  std::vector<std::string> prefixes;
  const size_t p_open = prefix.find('[');
  const size_t p_close = prefix.find(']');
  if (p_open == std::string_view::npos && p_close == std::string_view::npos) {
    prefixes.emplace_back(prefix);
  } else {
    if (p_open == std::string_view::npos || p_close == std::string_view::npos || p_close < p_open) {
      return Invalid(token, "unbalanced brackets");
    }
    if (prefix.find('[', p_open + 1) != std::string_view::npos ||
        prefix.find(']', p_close + 1) != std::string_view::npos) {
      return Invalid(token, "more than two bracket groups in one name");
    }
    Result<std::vector<Range>> first =
        ParseRangeList(prefix.substr(p_open + 1, p_close - p_open - 1), token);
    if (!first.ok()) return first.status();
    const std::string_view head = prefix.substr(0, p_open);
    const std::string_view tail = prefix.substr(p_close + 1);
    for (const Range& r : *first) {
      for (uint64_t n = r.lo; n <= r.hi; ++n) {
        if (prefixes.size() >= kMaxNamesTotal) {
          return Invalid(token, "more than " + std::to_string(kMaxNamesTotal) + " names in total");
        }
        prefixes.push_back(std::string(head) + Padded(n, r.width) + std::string(tail));
      }
    }
  }

  uint64_t per_prefix = 0;
  for (const Range& r : *last) per_prefix += r.hi - r.lo + 1;
  // Checked before building anything: the product can be in the billions.
  if (out.size() + prefixes.size() * per_prefix > kMaxNamesTotal) {
    return Invalid(token, "more than " + std::to_string(kMaxNamesTotal) + " names in total");
  }
  for (const std::string& p : prefixes) {
    for (const Range& r : *last) {
      for (uint64_t n = r.lo; n <= r.hi; ++n) {
        out.push_back(p + Padded(n, r.width));
      }
    }
  }
  return Status::Ok();
}

// A name split as Slurm's hostname_create does: the trailing digits are the number.
struct SplitName {
  std::string_view prefix;
  std::string_view digits;  // empty: the name has no number and is never merged
  uint64_t number = 0;
};

SplitName Split(const std::string& name) {
  size_t i = name.size();
  while (i > 0 && IsDigit(name[i - 1])) --i;
  SplitName s{std::string_view(name).substr(0, i), std::string_view(name).substr(i), 0};
  std::optional<uint64_t> n = ParseNumber(s.digits);
  if (!n) {
    s.prefix = name;
    s.digits = {};
  } else {
    s.number = *n;
  }
  return s;
}

// A run of consecutive numbers under one prefix. Padding must be one width that reproduces every
// member's digits: "09" forces width 2, an unpadded "10" allows any width up to 2. Tracking the
// allowed window lets "n9,n10" merge to n[9-10] and "n09,n10" to n[09-10], but not "n9,n010".
struct Run {
  std::string_view prefix;
  bool numbered = false;
  uint64_t lo = 0;
  uint64_t hi = 0;
  size_t min_width = 1;
  size_t max_width = 0;
};

// Widths for which printing `digits`' value zero-padded gives back `digits` exactly.
void WidthWindow(std::string_view digits, size_t& min_w, size_t& max_w) {
  if (digits.size() > 1 && digits[0] == '0') {
    min_w = max_w = digits.size();
  } else {
    min_w = 1;
    max_w = digits.size();
  }
}

}  // namespace

Result<std::vector<std::string>> ExpandHostlist(std::string_view expr) {
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos < expr.size()) {
    if (IsSeparator(expr[pos])) {
      ++pos;
      continue;
    }
    // Separators inside brackets belong to the range list.
    size_t end = pos;
    int depth = 0;
    while (end < expr.size() && (depth > 0 || !IsSeparator(expr[end]))) {
      if (expr[end] == '[') {
        if (++depth > 1) return Invalid(expr.substr(pos), "nested \"[\"");
      } else if (expr[end] == ']') {
        if (--depth < 0) return Invalid(expr.substr(pos, end - pos + 1), "\"]\" without \"[\"");
      }
      ++end;
    }
    if (depth != 0) return Invalid(expr.substr(pos), "unbalanced brackets");
    DROVER_RETURN_IF_ERROR(ExpandToken(expr.substr(pos, end - pos), names));
    pos = end;
  }
  return names;
}

std::string CompressHostlist(const std::vector<std::string>& names) {
  std::vector<Run> runs;
  for (const std::string& name : names) {
    const SplitName s = Split(name);
    if (s.digits.empty()) {
      runs.push_back({s.prefix, false, 0, 0, 1, 0});
      continue;
    }
    size_t min_w = 0;
    size_t max_w = 0;
    WidthWindow(s.digits, min_w, max_w);
    if (!runs.empty()) {
      Run& r = runs.back();
      const size_t new_min = std::max(r.min_width, min_w);
      const size_t new_max = std::min(r.max_width, max_w);
      // A run stops at kMaxNamesPerRange names: ExpandHostlist refuses longer ranges.
      if (r.numbered && r.prefix == s.prefix && r.hi + 1 == s.number && new_min <= new_max &&
          r.hi - r.lo + 1 < kMaxNamesPerRange) {
        r.hi = s.number;
        r.min_width = new_min;
        r.max_width = new_max;
        continue;
      }
    }
    runs.push_back({s.prefix, true, s.number, s.number, min_w, max_w});
  }

  // Neighbouring runs with the same prefix share one bracket group, as hostlist_ranged_string
  // prints them ("n[3,1-2]"); a lone single number keeps its plain name.
  std::string out;
  size_t i = 0;
  while (i < runs.size()) {
    if (!out.empty()) out += ',';
    const Run& first = runs[i];
    if (!first.numbered) {
      out.append(first.prefix);
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < runs.size() && runs[j].numbered && runs[j].prefix == first.prefix) ++j;
    const bool bracket = j - i > 1 || first.lo != first.hi;
    out.append(first.prefix);
    if (bracket) out += '[';
    for (size_t k = i; k < j; ++k) {
      const Run& r = runs[k];
      const int width = static_cast<int>(r.min_width);
      if (k > i) out += ',';
      out += Padded(r.lo, width);
      if (r.hi != r.lo) out += '-' + Padded(r.hi, width);
    }
    if (bracket) out += ']';
    i = j;
  }
  return out;
}

}  // namespace drover
