#include "common/units.h"

#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

namespace drover {
namespace {

constexpr const char* kTimeForms =
    "expected minutes or one of M:S, H:M:S, D-H, D-H:M, D-H:M:S, UNLIMITED, INFINITE";
constexpr const char* kMemoryForms =
    "expected an integer with an optional K, M, G or T suffix (case-insensitive, optionally "
    "followed by B), e.g. 512M, 16G, 4GB; no suffix means MB";

// Ten digits per field keep every sum below 2^64 without further checks.
constexpr size_t kMaxTimeFieldDigits = 10;
constexpr size_t kMaxMemoryDigits = 20;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

std::optional<uint64_t> ParseField(std::string_view s) {
  if (s.empty() || s.size() > kMaxTimeFieldDigits) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

std::vector<std::string_view> SplitColons(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (true) {
    size_t colon = s.find(':', pos);
    if (colon == std::string_view::npos) {
      parts.push_back(s.substr(pos));
      return parts;
    }
    parts.push_back(s.substr(pos, colon - pos));
    pos = colon + 1;
  }
}

Status BadTime(std::string_view text) {
  return Status::InvalidArgument("invalid time \"" + std::string(text) + "\": " + kTimeForms);
}

}  // namespace

Result<uint32_t> ParseTimeLimitMinutes(std::string_view text) {
  // "-1" is Slurm's other spelling of INFINITE (time_str2mins).
  if (EqualsIgnoreCase(text, "UNLIMITED") || EqualsIgnoreCase(text, "INFINITE") || text == "-1") {
    return kUnlimitedMinutes;
  }
  uint64_t days = 0;
  std::string_view clock = text;
  const size_t dash = text.find('-');
  if (dash != std::string_view::npos) {
    std::optional<uint64_t> d = ParseField(text.substr(0, dash));
    if (!d) return BadTime(text);
    days = *d;
    clock = text.substr(dash + 1);
  }
  std::vector<std::string_view> parts = SplitColons(clock);
  if (parts.size() > 3) return BadTime(text);
  std::vector<uint64_t> values;
  for (std::string_view p : parts) {
    std::optional<uint64_t> v = ParseField(p);
    if (!v) return BadTime(text);
    values.push_back(*v);
  }

  uint64_t seconds = 0;
  if (dash != std::string_view::npos) {
    // D-H, D-H:M, D-H:M:S: the first field after the dash is hours.
    seconds = days * 86400 + values[0] * 3600;
    if (values.size() > 1) seconds += values[1] * 60;
    if (values.size() > 2) seconds += values[2];
  } else if (values.size() == 1) {
    seconds = values[0] * 60;
  } else if (values.size() == 2) {
    seconds = values[0] * 60 + values[1];
  } else {
    seconds = values[0] * 3600 + values[1] * 60 + values[2];
  }
  const uint64_t minutes = (seconds + 59) / 60;
  if (minutes >= kUnlimitedMinutes) {
    return Status::InvalidArgument("time \"" + std::string(text) +
                                   "\" is too large; use UNLIMITED for no limit");
  }
  return static_cast<uint32_t>(minutes);
}

Result<uint64_t> ParseMemoryMB(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  const std::string_view digits = text.substr(0, i);
  std::string_view suffix = text.substr(i);
  const auto bad = [&] {
    return Status::InvalidArgument("invalid memory size \"" + std::string(text) +
                                   "\": " + kMemoryForms);
  };
  if (digits.empty() || digits.size() > kMaxMemoryDigits) return bad();
  uint64_t n = 0;
  for (char c : digits) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (std::numeric_limits<uint64_t>::max() - d) / 10) return bad();
    n = n * 10 + d;
  }

  char unit = 'M';
  if (!suffix.empty()) {
    unit = suffix[0];
    if (unit >= 'a' && unit <= 'z') unit = static_cast<char>(unit - 'a' + 'A');
    if (unit != 'K' && unit != 'M' && unit != 'G' && unit != 'T') return bad();
    suffix.remove_prefix(1);
    // A bare "B" (bytes?) is refused rather than guessed.
    if (suffix == "B" || suffix == "b") suffix.remove_prefix(1);
    if (!suffix.empty()) return bad();
  }
  uint64_t multiplier = 1;
  switch (unit) {
    case 'K':
      return (n / 1024) + (n % 1024 != 0 ? 1 : 0);
    case 'G':
      multiplier = 1024;
      break;
    case 'T':
      multiplier = 1024 * 1024;
      break;
    default:
      break;
  }
  if (n > std::numeric_limits<uint64_t>::max() / multiplier) {
    return Status::InvalidArgument("memory size \"" + std::string(text) + "\" is too large");
  }
  return n * multiplier;
}

std::string FormatDuration(int64_t seconds) {
  // Slurm's secs2time_str prints this for negative values rather than a wrapped number.
  if (seconds < 0) return "INVALID";
  const int64_t s = seconds % 60;
  const int64_t m = (seconds / 60) % 60;
  const int64_t h = (seconds / 3600) % 24;
  const int64_t d = seconds / 86400;
  char buf[64];
  if (d > 0) {
    std::snprintf(buf, sizeof(buf), "%lld-%02lld:%02lld:%02lld", static_cast<long long>(d),
                  static_cast<long long>(h), static_cast<long long>(m), static_cast<long long>(s));
  } else if (h > 0) {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", static_cast<long long>(h),
                  static_cast<long long>(m), static_cast<long long>(s));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld", static_cast<long long>(m),
                  static_cast<long long>(s));
  }
  return buf;
}

Result<uint32_t> MoveTimeLimit(uint32_t current, int64_t delta_minutes) {
  if (current == kUnlimitedMinutes) {
    return Status::InvalidArgument("the time limit is UNLIMITED: nothing to add to or take from (set a limit instead)");
  }
  // Bounded first: the delta comes off the wire and must not overflow the sum.
  const int64_t bound = int64_t{kUnlimitedMinutes};
  if (delta_minutes >= bound) return Status::InvalidArgument("time limit too large");
  if (delta_minutes <= -int64_t{current}) {
    const std::string taken =
        delta_minutes <= -bound ? std::string("that much") : FormatTimeLimit(static_cast<uint32_t>(-delta_minutes));
    return Status::InvalidArgument("cannot take " + taken + " from a time limit of " + FormatTimeLimit(current));
  }
  const int64_t moved = int64_t{current} + delta_minutes;
  if (moved >= bound) return Status::InvalidArgument("time limit too large");
  return static_cast<uint32_t>(moved);
}

std::string FormatTimeLimit(uint32_t minutes) {
  if (minutes == kUnlimitedMinutes) return "UNLIMITED";
  return FormatDuration(static_cast<int64_t>(minutes) * 60);
}

std::string FormatMemoryHuman(uint64_t mb) {
  if (mb < 1024) return std::to_string(mb) + "M";
  char buf[64];
  const double gb = static_cast<double>(mb) / 1024.0;
  // Switch units where one decimal would round up to "1024.0G".
  if (gb < 1023.95) {
    std::snprintf(buf, sizeof(buf), "%.1fG", gb);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1fT", gb / 1024.0);
  }
  return buf;
}

}  // namespace drover
