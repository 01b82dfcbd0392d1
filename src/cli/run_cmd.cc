// srun / drover run: run a command as a job step, in the current allocation (SLURM_JOB_ID) or
// in a new one that lasts as long as the step. salloc / drover alloc: hold an allocation while
// a command (default: the user's shell) runs, with SLURM_JOB_ID set so that srun makes steps.
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/run_io.h"
#include "cli/run_options.h"
#include "common/auth_socket.h"
#include "common/credential.h"
#include "common/job.h"
#include "common/tls.h"

extern char** environ;

namespace drover::cli {
namespace {

volatile sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) { g_interrupted = 1; }

// While waiting for the allocation, Ctrl-C gives it up (as Slurm: "Job allocation N has been
// revoked"). SA_RESTART is left out so that the flag is seen at the next poll.
void CatchInterrupts(bool on) {
  struct sigaction sa {};
  sa.sa_handler = on ? OnInterrupt : SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::vector<std::pair<std::string, std::string>> CurrentEnvironment() {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

std::string Cwd() {
  char buf[PATH_MAX];
  return getcwd(buf, sizeof buf) ? std::string(buf) : std::string("/");
}

std::string Hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

void Complete(ControllerClient& client, uint64_t job_id, int status) {
  v1::Body body;
  auto* c = body.mutable_complete_job();
  c->set_job_id(job_id);
  c->set_exit_code(status > 128 ? 0 : status);
  c->set_exit_signal(status > 128 ? status - 128 : 0);
  (void)client.Call(body);
}

// Submits the interactive allocation; returns its id.
Result<uint64_t> Allocate(ControllerClient& client, const RunOptions& o, bool end_with_steps) {
  auto spec = BuildAllocationSpec(o, Cwd(), Hostname(), end_with_steps);
  if (!spec.ok()) return spec.status();
  v1::Body body;
  *body.mutable_submit_job()->mutable_spec() = *spec;
  auto reply = client.Call(body);
  if (!reply.ok()) return Status(reply.status().code(), "Unable to allocate resources: " + reply.status().message());
  return reply->submit_job_response().job_id();
}

// Asks for a step until the job has started (the controller holds each ask up to a second).
// The "queued" message goes to stderr only when that is a terminal, as Slurm's.
Result<v1::CreateStepResponse> CreateStep(ControllerClient& client, const std::string& prog, uint64_t job_id,
                                          const v1::StepSpec& spec, bool quiet) {
  bool queued = false;
  const bool tty = isatty(STDERR_FILENO) && !quiet;
  for (;;) {
    v1::Body body;
    auto* r = body.mutable_create_step();
    r->set_job_id(job_id);
    *r->mutable_spec() = spec;
    r->set_wait_ms(1000);
    auto reply = client.Call(body);
    if (!reply.ok()) return reply.status();
    if (!reply->create_step_response().pending()) {
      if (queued && tty) std::cerr << prog << ": job " << job_id << " has been allocated resources" << std::endl;
      return reply->create_step_response();
    }
    if (!queued && tty) std::cerr << prog << ": job " << job_id << " queued and waiting for resources" << std::endl;
    queued = true;
    if (g_interrupted) return Status(StatusCode::kTimeout, "interrupted");
  }
}

}  // namespace

int RunSrun(const std::string& prog, const Args& args) {
  auto opts = ParseRunOptions(prog, args, GetEnv);
  if (!opts.ok()) {
    std::cerr << prog << ": error: " << opts.status().message() << "\n";
    return 1;
  }
  if (opts->help) {
    std::cout << opts->help_text;
    return 0;
  }
  auto spec = BuildStepSpec(*opts, Cwd(), CurrentEnvironment());
  if (!spec.ok()) return ReportError(prog, spec.status());
  auto client_or = ControllerClient::Connect(opts->config);
  if (!client_or.ok()) return ReportError(prog, client_or.status());
  ControllerClient& client = **client_or;

  CatchInterrupts(true);
  const bool own = !opts->job_id.has_value();
  uint64_t job_id = 0;
  if (own) {
    auto id = Allocate(client, *opts, true);
    if (!id.ok()) return ReportError(prog, id.status());
    job_id = *id;
  } else {
    job_id = *opts->job_id;
  }
  auto step = CreateStep(client, prog, job_id, *spec, opts->quiet);
  if (!step.ok()) {
    if (own) Complete(client, job_id, 1);
    if (g_interrupted) {
      std::cerr << prog << ": Job allocation " << job_id << " has been revoked." << std::endl;
      return 1;
    }
    return ReportError(prog, Status(step.status().code(), "Unable to create step for job " +
                                                              std::to_string(job_id) + ": " + step.status().message()));
  }
  CatchInterrupts(false);
  int status = 1;
  auto tls = MakeClientTlsContext(TlsFiles{client.config().tls_ca, "", ""});
  const std::string body = StepAttachBody(*step);
  auto credential = FetchCredential(client.config().auth_socket, Sha256(body));
  if (!tls.ok() || !credential.ok()) {
    ReportError(prog, tls.ok() ? credential.status() : tls.status());
    // The step daemons give up when nobody attaches; the allocation ends now.
  } else {
    StepIoOptions io;
    io.prog = prog;
    io.label = opts->label;
    io.unbuffered = opts->unbuffered;
    io.kill_on_bad_exit = opts->kill_on_bad_exit;
    io.forward_stdin = opts->input != "none";
    io.pty = opts->pty;
    io.quiet = opts->quiet;
    io.max_frame_bytes = client.config().max_frame_bytes;
    status = RunStepIo(*step, *tls, *credential, body, io);
  }
  if (own) Complete(client, job_id, status);
  return status;
}

}  // namespace drover::cli
