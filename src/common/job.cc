#include "common/job.h"

#include <algorithm>
#include <cctype>

namespace drover {
namespace {

struct JobStateNames {
  JobState state;
  std::string_view name;
  std::string_view code;
};

constexpr JobStateNames kJobStates[] = {
    {JobState::kPending, "PENDING", "PD"},     {JobState::kRunning, "RUNNING", "R"},
    {JobState::kCompleted, "COMPLETED", "CD"}, {JobState::kFailed, "FAILED", "F"},
    {JobState::kCancelled, "CANCELLED", "CA"}, {JobState::kTimeout, "TIMEOUT", "TO"},
    {JobState::kNodeFail, "NODE_FAIL", "NF"},  {JobState::kOutOfMemory, "OUT_OF_MEMORY", "OOM"},
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view JobStateName(JobState s) {
  for (const auto& e : kJobStates) {
    if (e.state == s) return e.name;
  }
  return "UNKNOWN";
}

std::string_view JobStateCode(JobState s) {
  for (const auto& e : kJobStates) {
    if (e.state == s) return e.code;
  }
  return "?";
}

std::optional<JobState> ParseJobState(std::string_view text) {
  for (const auto& e : kJobStates) {
    if (EqualsIgnoreCase(text, e.name) || EqualsIgnoreCase(text, e.code)) return e.state;
  }
  return std::nullopt;
}

bool IsFinished(JobState s) { return s != JobState::kPending && s != JobState::kRunning; }

std::string_view NodeStateName(NodeState s) {
  switch (s) {
    case NodeState::kUnknown: return "unknown";
    case NodeState::kIdle: return "idle";
    case NodeState::kMixed: return "mixed";
    case NodeState::kAllocated: return "allocated";
    case NodeState::kDown: return "down";
    case NodeState::kDraining: return "draining";
    case NodeState::kDrained: return "drained";
    case NodeState::kInvalid: return "invalid";
  }
  return "unknown";
}

std::string_view NodeStateCompact(NodeState s) {
  switch (s) {
    case NodeState::kUnknown: return "unk";
    case NodeState::kIdle: return "idle";
    case NodeState::kMixed: return "mix";
    case NodeState::kAllocated: return "alloc";
    case NodeState::kDown: return "down";
    case NodeState::kDraining: return "drng";
    case NodeState::kDrained: return "drain";
    case NodeState::kInvalid: return "inval";
  }
  return "unk";
}

std::string CompressCounts(const std::vector<uint32_t>& counts) {
  std::string out;
  for (size_t i = 0; i < counts.size();) {
    size_t j = i;
    while (j < counts.size() && counts[j] == counts[i]) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(counts[i]);
    if (j - i >= 2) out += "(x" + std::to_string(j - i) + ")";
    i = j;
  }
  return out;
}

}  // namespace drover
