// NodeDaemon's part in job steps: start a drover-stepd in step mode for each (job, step) on
// this node, hand it a listening socket for srun's I/O connection, and report the step's end
// to the controller until it is acknowledged.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio.hpp>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <sstream>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/envelope.h"
#include "common/job_credential_proto.h"
#include "noded/node_daemon.h"
#include "noded/spool.h"

namespace drover::noded {
namespace {

bool Alive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

v1::JobState ToProtoState(JobState s) {
  switch (s) {
    case JobState::kCompleted: return v1::JOB_STATE_COMPLETED;
    case JobState::kCancelled: return v1::JOB_STATE_CANCELLED;
    case JobState::kTimeout: return v1::JOB_STATE_TIMEOUT;
    case JobState::kOutOfMemory: return v1::JOB_STATE_OUT_OF_MEMORY;
    default: return v1::JOB_STATE_FAILED;
  }
}

}  // namespace

std::string NodeDaemon::StepDir(StepKey key) const {
  return spool_ + "/steps/" + std::to_string(key.first) + "." + std::to_string(key.second);
}

Result<uint16_t> NodeDaemon::LaunchStep(const v1::LaunchStepRequest& launch) {
  const StepKey key{launch.job_id(), launch.step_id()};
  if (Status s = VerifyStepLaunchCredential(launch, options_.node_name, keys_.accepted,
                                            ToUnixMillis(std::chrono::system_clock::now()),
                                            config_.clock_skew_s);
      !s.ok()) {
    spdlog::warn("step {}.{}: {}", launch.job_id(), launch.step_id(), s.message());
    return s;
  }
  if (steps_.count(key)) return Status::AlreadyExists("step already running here");
  DROVER_RETURN_IF_ERROR(CheckJobUser(launch.uid()));
  const std::string steps_dir = spool_ + "/steps";
  if (mkdir(steps_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IoError("cannot create " + steps_dir + ": " + std::strerror(errno));
  }
  const std::string dir = StepDir(key);
  RemoveTree(dir);
  if (mkdir(dir.c_str(), 0700) != 0) return Status::IoError("cannot create " + dir + ": " + std::strerror(errno));
  std::string bytes;
  launch.SerializeToString(&bytes);
  DROVER_RETURN_IF_ERROR(WriteFileAtomic(dir + "/launch.pb", bytes, 0600, Survives::kProcessCrash));

  // The listening socket is made here so that the port is known at once; stepd inherits it.
  asio::error_code ec;
  asio::ip::tcp::acceptor acceptor(io_);
  auto addr = asio::ip::make_address(node_->address, ec);
  asio::ip::tcp::endpoint ep(ec ? asio::ip::address(asio::ip::address_v4::any()) : addr, 0);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(16, ec);
  if (ec) return Status::IoError("cannot open a port for the step's I/O: " + ec.message());
  const uint16_t port = acceptor.local_endpoint(ec).port();
  const int listen_fd = acceptor.native_handle();

  auto pid = SpawnStepd(dir,
                        {"--step", "--node", options_.node_name, "--kill-wait",
                         std::to_string(config_.kill_wait_s), "--tls-ca", config_.tls_ca,
                         "--tls-cert", Config::ForHost(config_.tls_cert, options_.node_name),
                         "--tls-key", Config::ForHost(config_.tls_key, options_.node_name),
                         "--key-file", config_.key_file, "--clock-skew",
                         std::to_string(config_.clock_skew_s), "--listen-fd", "3", dir},
                        listen_fd);
  acceptor.close(ec);
  if (!pid.ok()) return pid.status();
  steps_[key] = RunningJob{*pid, true};
  spdlog::info("step {}.{} started for {} (stepd {}, I/O port {})", key.first, key.second, launch.user(), *pid, port);
  return port;
}

bool NodeDaemon::SignalSteps(uint64_t job_id, int32_t signal, std::optional<uint32_t> step_id) {
  bool any = false;
  for (const auto& [key, step] : steps_) {
    if (key.first != job_id || (step_id && key.second != *step_id)) continue;
    any = true;
    if (signal == 0) {
      kill(step.stepd, SIGTERM);
      continue;
    }
    auto text = ReadWholeFile(StepDir(key) + "/tasks.pid");
    if (!text.ok()) continue;
    std::istringstream in(*text);
    long pid = 0;
    while (in >> pid) {
      if (pid > 1) kill(-static_cast<pid_t>(pid), signal);
    }
  }
  return any;
}

void NodeDaemon::RecoverSteps() {
  const std::string steps_dir = spool_ + "/steps";
  DIR* d = opendir(steps_dir.c_str());
  if (d == nullptr) return;
  std::vector<StepKey> keys;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    const auto dot = name.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 >= name.size()) continue;
    try {
      size_t a = 0, b = 0;
      const uint64_t job = std::stoull(name.substr(0, dot), &a);
      const unsigned long step = std::stoul(name.substr(dot + 1), &b);
      if (a != dot || b != name.size() - dot - 1) continue;
      keys.push_back({job, static_cast<uint32_t>(step)});
    } catch (const std::exception&) {
      continue;
    }
  }
  closedir(d);
  for (const auto& key : keys) {
    const std::string dir = StepDir(key);
    if (access((dir + "/result").c_str(), F_OK) == 0) {
      StepEnded(key, "");
      continue;
    }
    auto text = ReadWholeFile(dir + "/stepd.pid");
    pid_t pid = -1;
    if (text.ok()) pid = static_cast<pid_t>(std::atol(text->c_str()));
    if (Alive(pid)) {
      spdlog::info("step {}.{} still running under stepd {}: reattached", key.first, key.second, pid);
      steps_[key] = RunningJob{pid, false};
    } else {
      StepEnded(key, "drover-stepd vanished while drover-noded was down");
    }
  }
}

bool NodeDaemon::ReapStep(pid_t pid, int status) {
  for (const auto& [key, step] : steps_) {
    if (step.stepd == pid) {
      const StepKey k = key;
      StepEnded(k, "drover-stepd ended without a result (status " + std::to_string(status) + ")");
      return true;
    }
  }
  return false;
}

void NodeDaemon::PollSteps() {
  std::vector<StepKey> ended;
  for (const auto& [key, step] : steps_) {
    if (!step.is_child && !Alive(step.stepd)) ended.push_back(key);
  }
  for (const auto& key : ended) StepEnded(key, "drover-stepd ended without a result");
}

void NodeDaemon::StepEnded(StepKey key, const std::string& fallback_reason) {
  steps_.erase(key);
  v1::StepFinishedRequest report;
  report.set_job_id(key.first);
  report.set_step_id(key.second);
  report.set_node(options_.node_name);
  auto text = ReadWholeFile(StepDir(key) + "/result");
  auto result = text.ok() ? DecodeResult(*text) : Result<JobResult>(text.status());
  if (result.ok()) {
    report.set_state(ToProtoState(result->state));
    report.set_exit_code(result->exit_code);
    report.set_exit_signal(result->exit_signal);
    report.set_reason(result->reason);
  } else {
    report.set_state(v1::JOB_STATE_FAILED);
    report.set_exit_code(1);
    report.set_reason(fallback_reason.empty() ? result.status().message() : fallback_reason);
  }
  spdlog::info("step {}.{} ended: {} exit {} signal {}", key.first, key.second,
               v1::JobState_Name(report.state()), report.exit_code(), report.exit_signal());
  unreported_steps_[key] = StepReport{report, false};
  SendStepFinished(key);
}

void NodeDaemon::ResendStepReports() {
  for (auto& [key, u] : unreported_steps_) {
    if (!u.sending) SendStepFinished(key);
  }
}

void NodeDaemon::SendStepFinished(StepKey key) {
  auto it = unreported_steps_.find(key);
  if (it == unreported_steps_.end() || !registered_ || it->second.sending) return;
  it->second.sending = true;
  v1::Body body;
  *body.mutable_step_finished() = it->second.report;
  ctld_->Call(Request(body), [this, key](Result<v1::Envelope> response) {
    auto current = unreported_steps_.find(key);
    if (current == unreported_steps_.end()) return;
    current->second.sending = false;
    auto result = BodyOrError(response);
    if (!result.ok() && result.status().code() != StatusCode::kPermissionDenied) {
      spdlog::warn("could not report the end of step {}.{}: {}", key.first, key.second, result.status().message());
      return;
    }
    unreported_steps_.erase(current);
    if (!steps_.count(key)) RemoveTree(StepDir(key));
  });
}

}  // namespace drover::noded
