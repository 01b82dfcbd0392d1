// scancel and drover cancel.
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <iostream>

#include "cli/empty_values.h"
#include "cli/cli_util.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/signal_spec.h"
#include "cli/job_fields.h"
#include "cli/usage.h"
#include "common/text.h"

namespace drover::cli {
namespace {

// Plain ids go out as numbers; array forms ("12_7", "12_[1-3]") as text for the controller,
// which knows the array's elements.
Result<std::vector<uint64_t>> ParseIds(const std::vector<std::string>& words, std::vector<std::string>* texts) {
  std::vector<uint64_t> ids;
  for (const auto& w : words) {
    if (w.find('_') != std::string::npos && std::isdigit(static_cast<unsigned char>(w[0]))) {
      texts->push_back(w);
      continue;
    }
    try {
      size_t used = 0;
      const uint64_t id = std::stoull(w, &used);
      if (used != w.size() || id == 0) throw std::invalid_argument(w);
      ids.push_back(id);
    } catch (const std::exception&) {
      return Status::InvalidArgument("Invalid job id " + w);
    }
  }
  return ids;
}

struct CancelRequest {
  std::vector<std::string> ids;
  std::string signal;
  std::string user;
  // scancel -n/-t/-p: only jobs with these names, states, partitions (comma-separated).
  std::string names, states, partitions;
  std::optional<std::string> config;
  bool Filtered() const { return !names.empty() || !states.empty() || !partitions.empty(); }
};

bool InList(const std::string& list, const std::string& value) {
  const auto items = SplitList(list);
  return std::find(items.begin(), items.end(), value) != items.end();
}

// The ids of active jobs of `user` (all users' when empty; the controller then answers only
// with what the caller may see) that pass the filters; restricted to `only` when not empty.
Result<std::vector<uint64_t>> MatchingJobs(ControllerClient& client, const CancelRequest& req,
                                           const std::vector<uint64_t>& only) {
  v1::Body body;
  auto* query = body.mutable_query_jobs();
  if (!req.user.empty()) query->add_users(req.user);
  for (uint64_t id : only) query->add_job_ids(id);
  auto reply = client.Call(body);
  if (!reply.ok()) return reply.status();
  std::vector<uint64_t> ids;
  for (const auto& j : reply->query_jobs_response().jobs()) {
    if (!req.names.empty() && !InList(req.names, j.spec().name())) continue;
    if (!req.partitions.empty() && !InList(req.partitions, j.partition())) continue;
    if (!req.states.empty()) {
      const std::string name = SqueueField(j, 'T', 0), code = SqueueField(j, 't', 0);
      bool match = false;
      for (const auto& given : SplitList(req.states)) {
        const std::string s = AsciiUpper(given);
        match = match || s == name || s == code;
      }
      if (!match) continue;
    }
    ids.push_back(j.job_id());
  }
  return ids;
}

Result<v1::CancelJobResponse> Send(const CancelRequest& req, int* signal_out) {
  std::vector<std::string> texts;
  auto ids = ParseIds(req.ids, &texts);
  if (!ids.ok()) return ids.status();
  int sig = 0;
  if (!req.signal.empty()) {
    auto parsed = ParseSignal(req.signal);
    if (!parsed.ok()) return parsed.status();
    sig = *parsed;
  }
  *signal_out = sig;
  auto client = ControllerClient::Connect(req.config);
  if (!client.ok()) return client.status();
  if (req.Filtered() && (!ids->empty() || !texts.empty())) {
    if (!texts.empty()) return Status::InvalidArgument("--name, --state and --partition take plain job ids only");
    auto kept = MatchingJobs(**client, req, *ids);
    if (!kept.ok()) return kept.status();
    *ids = *kept;
  } else if (!req.user.empty() || req.Filtered()) {
    auto mine = MatchingJobs(**client, req, {});
    if (!mine.ok()) return mine.status();
    ids->insert(ids->end(), mine->begin(), mine->end());
  }
  if (ids->empty() && texts.empty()) return v1::CancelJobResponse();
  v1::Body body;
  for (uint64_t id : *ids) body.mutable_cancel_job()->add_job_ids(id);
  for (const auto& t : texts) body.mutable_cancel_job()->add_job_id_texts(t);
  body.mutable_cancel_job()->set_signal(sig);
  auto reply = (*client)->Call(body);
  if (!reply.ok()) return reply.status();
  return reply->cancel_job_response();
}

}  // namespace

int RunScancel(const Args& args) {
  CLI::App app{"scancel: cancel or signal jobs (Slurm-compatible)\n\nusage: scancel [options] job_id...", "scancel"};
  CancelRequest req;
  bool batch = false, quiet = false, verbose = false, me = false;
  app.add_option("-s,--signal", req.signal, "send this signal instead of cancelling (name or number)");
  app.add_option("-u,--user", req.user, "cancel every job of this user");
  app.add_flag("--me", me, "cancel every job of mine");
  app.add_option("-n,--name,--jobname", req.names, "only jobs with these names (comma-separated)");
  app.add_option("-t,--state", req.states, "only jobs in these states: PENDING, RUNNING (or PD, R)");
  app.add_option("-p,--partition", req.partitions, "only jobs in these partitions");
  app.add_flag("-b,--batch", batch, "accepted: the signal goes to the batch script");
  app.add_flag("-Q,--quiet", quiet, "do not report errors for jobs that are gone");
  app.add_flag("-v,--verbose", verbose, "accepted");
  app.add_option("job_id", req.ids, "job ids");
  app.add_option("--config", req.config, "drover configuration file");
  app.allow_extras(false);
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return UsageError(app, "scancel", e);
    std::cerr << "scancel: error: " << e.what() << "\n";
    return 1;
  }
  if (me) req.user = std::to_string(getuid());
  // Filters without ids or -u act on the caller's own jobs (root: everybody's).
  if (req.ids.empty() && req.user.empty() && req.Filtered() && getuid() != 0) req.user = std::to_string(getuid());
  if (req.ids.empty() && req.user.empty() && !req.Filtered()) {
    std::cerr << "scancel: error: No job identification provided\n";
    return 1;
  }
  int sig = 0;
  auto reply = Send(req, &sig);
  if (!reply.ok()) {
    std::cerr << "scancel: error: " << reply.status().message() << "\n";
    return 1;
  }
  int rc = 0;
  for (const auto& r : reply->results()) {
    if (r.code() == v1::ERROR_CODE_UNSPECIFIED) continue;
    // SC-2: gone jobs are not an error for a plain cancel; with --signal they are (SC-3).
    if (r.code() == v1::ERROR_CODE_NOT_FOUND && sig == 0) continue;
    if (!quiet || r.code() != v1::ERROR_CODE_NOT_FOUND) {
      std::cerr << "scancel: error: Kill job error on job id "
                << (r.job_id_text().empty() ? std::to_string(r.job_id()) : r.job_id_text()) << ": " << r.message()
                << "\n";
    }
    rc = 1;
  }
  return rc;
}

namespace {

std::string JsonEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

int RunCancel(const Args& args) {
  CLI::App app{"drover cancel: cancel or signal jobs", "drover cancel"};
  CancelRequest req;
  bool json = false, me = false, quiet = false;
  app.add_option("-s,--signal", req.signal, "send this signal instead of cancelling (name or number)");
  app.add_option("-u,--user", req.user, "cancel every job of this user");
  app.add_flag("--me", me, "cancel every job of mine");
  app.add_flag("-Q,--quiet", quiet, "say nothing about jobs that are gone or were cancelled");
  app.add_option("job_id", req.ids, "job ids");
  app.add_flag("--json", json, "print JSON");
  app.add_option("--config", req.config, "drover configuration file");
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    return UsageError(app, "drover cancel", e);
  }
  if (me) req.user = std::to_string(getuid());
  if (req.ids.empty() && req.user.empty()) {
    std::cerr << "drover cancel: error: name at least one job id (or --user or --me)\n";
    return kExitUsage;
  }
  int sig = 0;
  auto reply = Send(req, &sig);
  if (!reply.ok()) return ReportError("drover cancel", reply.status());
  int rc = 0;
  if (json) std::cout << "[";
  bool first = true;
  for (const auto& r : reply->results()) {
    const bool ok = r.code() == v1::ERROR_CODE_UNSPECIFIED;
    if (json) {
      std::cout << (first ? "" : ",") << "\n  {\"job_id\": \""
                << (r.job_id_text().empty() ? std::to_string(r.job_id()) : r.job_id_text()) << "\", \"ok\": "
                << (ok ? "true" : "false") << ", \"message\": \"" << JsonEscape(r.message()) << "\"}";
      first = false;
    } else if (quiet && (ok || r.code() == v1::ERROR_CODE_NOT_FOUND)) {
    } else if (ok) {
      std::cout << (sig ? "signalled job " : "cancelled job ")
                << (r.job_id_text().empty() ? std::to_string(r.job_id()) : r.job_id_text()) << "\n";
    } else {
      std::cerr << "job " << (r.job_id_text().empty() ? std::to_string(r.job_id()) : r.job_id_text()) << ": "
                << r.message() << "\n";
    }
    if (!ok && !(r.code() == v1::ERROR_CODE_NOT_FOUND && sig == 0)) {
      rc = r.code() == v1::ERROR_CODE_NOT_FOUND           ? kExitNotFound
           : r.code() == v1::ERROR_CODE_PERMISSION_DENIED ? kExitDenied
                                                          : kExitFailed;
    }
  }
  if (json) std::cout << "\n]\n";
  return rc;
}

}  // namespace drover::cli
