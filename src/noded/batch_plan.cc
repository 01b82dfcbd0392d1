#include "noded/batch_plan.h"

#include <limits>

namespace drover::noded {
namespace {

constexpr std::string_view kHeader = "drover-batch-plan";
constexpr std::string_view kVersion = "1";

void Put(std::string& out, std::string_view key, std::string_view value) {
  out.append(key);
  out.push_back(' ');
  out.append(std::to_string(value.size()));
  out.push_back(':');
  out.append(value);
  out.push_back('\n');
}

void PutNumber(std::string& out, std::string_view key, uint64_t value) { Put(out, key, std::to_string(value)); }

// A decimal number without sign, spaces or leading garbage, at most `max`.
bool ParseNumber(std::string_view text, uint64_t max, uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    n = n * 10 + digit;
  }
  if (n > max) return false;
  out = n;
  return true;
}

template <typename T>
bool ParseInto(std::string_view text, T& out) {
  uint64_t n = 0;
  if (!ParseNumber(text, std::numeric_limits<T>::max(), n)) return false;
  out = static_cast<T>(n);
  return true;
}

}  // namespace

std::string EncodeBatchPlan(const BatchPlan& plan) {
  std::string out;
  out.reserve(1024);
  Put(out, kHeader, kVersion);
  PutNumber(out, "job", plan.job_id);
  PutNumber(out, "uid", plan.uid);
  PutNumber(out, "gid", plan.gid);
  for (uint32_t g : plan.groups) PutNumber(out, "group", g);
  Put(out, "user", plan.user);
  Put(out, "workdir", plan.work_dir);
  Put(out, "out", plan.out_path);
  Put(out, "err", plan.err_path);
  Put(out, "tmpout", plan.tmp_out_path);
  Put(out, "tmperr", plan.tmp_err_path);
  Put(out, "script", plan.script);
  for (const auto& a : plan.args) Put(out, "arg", a);
  for (const auto& e : plan.env) Put(out, "env", e);
  for (uint32_t c : plan.cpus) PutNumber(out, "cpu", c);
  PutNumber(out, "memory", plan.memory_bytes);
  PutNumber(out, "timelimit", plan.time_limit_minutes);
  return out;
}

Result<BatchPlan> DecodeBatchPlan(std::string_view bytes) {
  BatchPlan plan;
  bool header = false;
  bool job = false;
  size_t at = 0;
  while (at < bytes.size()) {
    const size_t space = bytes.find(' ', at);
    if (space == std::string_view::npos || space == at) return Status::InvalidArgument("batch plan: malformed record");
    const std::string_view key = bytes.substr(at, space - at);
    const size_t colon = bytes.find(':', space + 1);
    if (colon == std::string_view::npos) return Status::InvalidArgument("batch plan: truncated record " + std::string(key));
    uint64_t length = 0;
    if (!ParseNumber(bytes.substr(space + 1, colon - space - 1), bytes.size(), length)) {
      return Status::InvalidArgument("batch plan: bad length for " + std::string(key));
    }
    const size_t value_at = colon + 1;
    // The value and its closing newline must both be there.
    if (bytes.size() - value_at < length + 1 || bytes[value_at + length] != '\n') {
      return Status::InvalidArgument("batch plan: truncated value of " + std::string(key));
    }
    const std::string_view value = bytes.substr(value_at, length);
    at = value_at + length + 1;

    if (!header) {
      if (key != kHeader) return Status::InvalidArgument("batch plan: not a batch plan");
      if (value != kVersion) return Status::InvalidArgument("batch plan: unknown version " + std::string(value));
      header = true;
      continue;
    }
    bool ok = true;
    if (key == "job") {
      ok = ParseInto(value, plan.job_id);
      job = ok;
    } else if (key == "uid") {
      ok = ParseInto(value, plan.uid);
    } else if (key == "gid") {
      ok = ParseInto(value, plan.gid);
    } else if (key == "group") {
      uint32_t g = 0;
      ok = ParseInto(value, g);
      plan.groups.push_back(g);
    } else if (key == "cpu") {
      uint32_t c = 0;
      ok = ParseInto(value, c);
      plan.cpus.push_back(c);
    } else if (key == "memory") {
      ok = ParseInto(value, plan.memory_bytes);
    } else if (key == "timelimit") {
      ok = ParseInto(value, plan.time_limit_minutes);
    } else if (key == "user") {
      plan.user = value;
    } else if (key == "workdir") {
      plan.work_dir = value;
    } else if (key == "out") {
      plan.out_path = value;
    } else if (key == "err") {
      plan.err_path = value;
    } else if (key == "tmpout") {
      plan.tmp_out_path = value;
    } else if (key == "tmperr") {
      plan.tmp_err_path = value;
    } else if (key == "script") {
      plan.script = value;
    } else if (key == "arg") {
      plan.args.emplace_back(value);
    } else if (key == "env") {
      plan.env.emplace_back(value);
    }
    if (!ok) return Status::InvalidArgument("batch plan: bad number for " + std::string(key));
  }
  if (!header) return Status::InvalidArgument("batch plan: empty");
  if (!job) return Status::InvalidArgument("batch plan: no job id");
  if (plan.script.empty() || plan.args.empty()) return Status::InvalidArgument("batch plan: no script");
  return plan;
}

std::vector<std::string> AdminScriptEnvp(const std::vector<std::string>& task_env, const std::string& context) {
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "SLURM_SCRIPT_CONTEXT=" + context};
  for (const auto& e : task_env) {
    if (e.rfind("SLURM_SCRIPT_CONTEXT=", 0) == 0) continue;
    if (e.rfind("SLURM_", 0) == 0 || e.rfind("DROVER_", 0) == 0) env.push_back(e);
  }
  return env;
}

}  // namespace drover::noded
