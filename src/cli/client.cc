#include "cli/client.h"

#include <iostream>

#include "cli/exit_codes.h"
#include "common/auth_socket.h"
#include "common/credential.h"
#include "common/envelope.h"
#include "common/tls.h"

namespace drover::cli {

Result<std::unique_ptr<ControllerClient>> ControllerClient::Connect(
    const std::optional<std::string>& config_flag) {
  auto config = LoadConfig(ResolveConfigPath(config_flag));
  if (!config.ok()) return config.status();
  auto tls = MakeClientTlsContext(TlsFiles{config->tls_ca, "", ""});
  if (!tls.ok()) return tls.status();
  auto rpc = std::make_unique<BlockingRpcClient>(
      *tls, config->controller_address, config->controller_port, config->controller_host,
      RpcClientOptions{config->max_frame_bytes, std::chrono::seconds(10), std::chrono::seconds(60)});
  return std::unique_ptr<ControllerClient>(new ControllerClient(std::move(*config), std::move(rpc)));
}

Result<v1::Body> ControllerClient::Call(const v1::Body& body) {
  return BodyOrError(Send(body));
}

Result<v1::Body*> ControllerClient::Call(const v1::Body& body, google::protobuf::Arena* arena) {
  auto response = Send(body);
  if (!response.ok()) return response.status();
  auto* parsed = google::protobuf::Arena::CreateMessage<v1::Body>(arena);
  if (Status s = ParseBodyInto(*response, parsed); !s.ok()) return s;
  if (parsed->has_error()) return Status(FromErrorCode(parsed->error().code()), parsed->error().message());
  return parsed;
}

Result<v1::Envelope> ControllerClient::Send(const v1::Body& body) {
  v1::Envelope request = MakeEnvelope(body);
  auto credential = FetchCredential(config_.auth_socket, Sha256(request.body()));
  if (!credential.ok()) return credential.status();
  *request.mutable_credential() = *credential;
  auto response = rpc_->Call(std::move(request));
  if (!response.ok() && response.status().code() == StatusCode::kUnavailable) {
    return Status::Unavailable("cannot reach drover-ctld at " + config_.controller_address + ":" +
                               std::to_string(config_.controller_port) + " (" +
                               response.status().message() + "); is it running?");
  }
  return response;
}

int ReportError(const std::string& prog, const Status& status) {
  std::cerr << prog << ": error: " << status.message() << "\n";
  return IsNative(prog) ? ExitCodeFor(status) : 1;
}

}  // namespace drover::cli
