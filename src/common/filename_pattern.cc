#include "common/filename_pattern.h"

#include <cctype>

namespace drover {
namespace {

// Slurm's NO_VAL: what %a expands to outside an array job.
constexpr uint64_t kNoArrayTask = 4294967294u;

// A width beyond this is certainly a typo; capping it keeps "%99999999j" from allocating.
constexpr size_t kMaxWidth = 64;

void AppendPadded(std::string& out, const std::string& digits, size_t width) {
  if (digits.size() < width) out.append(width - digits.size(), '0');
  out.append(digits);
}

bool IsNumber(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string ExpandFilenamePattern(std::string_view pattern, const FilenameContext& ctx) {
  std::string out;
  out.reserve(pattern.size() + 16);
  size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c != '%') {
      out.push_back(c);
      ++i;
      continue;
    }
    // Parse "%[width]X"; on anything we do not understand the whole sequence is copied as is.
    size_t j = i + 1;
    size_t width = 0;
    while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) {
      width = width * 10 + static_cast<size_t>(pattern[j] - '0');
      if (width > kMaxWidth) width = kMaxWidth;
      ++j;
    }
    if (j >= pattern.size()) {
      out.append(pattern.substr(i));
      break;
    }
    const char letter = pattern[j];
    const std::string job_id = std::to_string(ctx.job_id);
    bool known = true;
    switch (letter) {
      case '%':
        out.push_back('%');
        break;
      case 'A':
        AppendPadded(out, std::to_string(ctx.array_job_id.value_or(ctx.job_id)), width);
        break;
      case 'a':
        AppendPadded(out,
                     std::to_string(ctx.array_task_id ? uint64_t{*ctx.array_task_id} : kNoArrayTask),
                     width);
        break;
      case 'j':
        AppendPadded(out, job_id, width);
        break;
      case 'J':
        AppendPadded(out, job_id, width);
        if (ctx.step && *ctx.step != "batch") out.append("." + *ctx.step);
        break;
      case 'N':
        out.append(ctx.node_name);
        break;
      case 'n':
        AppendPadded(out, std::to_string(ctx.node_index), width);
        break;
      case 's':
        if (!ctx.step) {
          out.append("batch");
        } else if (IsNumber(*ctx.step)) {
          AppendPadded(out, *ctx.step, width);
        } else {
          // Zero-padding a name ("00batch") would make no sense; Slurm pads numbers only.
          out.append(*ctx.step);
        }
        break;
      case 't':
        AppendPadded(out, std::to_string(ctx.task_id), width);
        break;
      case 'u':
        out.append(ctx.user);
        break;
      case 'x':
        out.append(ctx.job_name);
        break;
      default:
        known = false;
        break;
    }
    if (known) {
      i = j + 1;
    } else {
      // Keep the '%' (and any digits) literally, then resume at the letter so that it is
      // itself treated as ordinary text.
      out.append(pattern.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

}  // namespace drover
