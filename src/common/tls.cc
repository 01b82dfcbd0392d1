#include "common/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <asio/ssl.hpp>
#include <cerrno>
#include <cstring>

namespace drover {
namespace {

// asio reports OpenSSL failures with only the reason; the file's own state (missing,
// unreadable) is what an operator needs first, so it is checked separately.
Status CheckReadable(const char* what, const std::string& path) {
  if (path.empty()) return Status::InvalidArgument(std::string("no TLS ") + what + " file given");
  if (::access(path.c_str(), R_OK) != 0) {
    return Status::NotFound(std::string("TLS ") + what + " file " + path + ": " +
                            std::strerror(errno));
  }
  return Status::Ok();
}

Status LoadFailure(const char* what, const std::string& path, const asio::error_code& ec) {
  ERR_clear_error();
  return Status::InvalidArgument(std::string("cannot load TLS ") + what + " file " + path + ": " +
                                 ec.message() + " (is it PEM?)");
}

Result<std::shared_ptr<asio::ssl::context>> MakeContext(asio::ssl::context::method method,
                                                        const TlsFiles& files) {
  auto ctx = std::make_shared<asio::ssl::context>(method);
  SSL_CTX* native = ctx->native_handle();
  // Every peer is drover itself, so there is no legacy client to accommodate.
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1) {
    return Status::Internal("this OpenSSL cannot restrict connections to TLS 1.3");
  }
  asio::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression,
                   ec);
  if (ec) return Status::Internal("cannot set TLS options: " + ec.message());

  DROVER_RETURN_IF_ERROR(CheckReadable("CA", files.ca));
  ctx->load_verify_file(files.ca, ec);
  if (ec) return LoadFailure("CA", files.ca, ec);

  if (!files.cert.empty() || !files.key.empty()) {
    if (files.cert.empty()) {
      return Status::InvalidArgument("TLS key file " + files.key + " given without a certificate");
    }
    DROVER_RETURN_IF_ERROR(CheckReadable("certificate", files.cert));
    DROVER_RETURN_IF_ERROR(CheckReadable("key", files.key));
    ctx->use_certificate_chain_file(files.cert, ec);
    if (ec) return LoadFailure("certificate", files.cert, ec);
    ctx->use_private_key_file(files.key, asio::ssl::context::pem, ec);
    if (ec) return LoadFailure("key", files.key, ec);
    if (SSL_CTX_check_private_key(native) != 1) {
      ERR_clear_error();
      return Status::InvalidArgument("TLS key file " + files.key + " does not match certificate " +
                                     files.cert);
    }
  }
  return ctx;
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(const TlsFiles& files) {
  if (files.cert.empty()) {
    return Status::InvalidArgument("a TLS server needs a certificate and key (none given)");
  }
  auto ctx = MakeContext(asio::ssl::context::tls_server, files);
  if (!ctx.ok()) return ctx.status();
  // No fail_if_no_peer_cert: users connect without a certificate and authenticate each
  // request with a credential. A certificate that is presented must still verify.
  asio::error_code ec;
  (*ctx)->set_verify_mode(asio::ssl::verify_peer, ec);
  if (ec) return Status::Internal("cannot set TLS verify mode: " + ec.message());
  return ctx;
}

Result<std::shared_ptr<asio::ssl::context>> MakeClientTlsContext(const TlsFiles& files) {
  auto ctx = MakeContext(asio::ssl::context::tls_client, files);
  if (!ctx.ok()) return ctx.status();
  asio::error_code ec;
  (*ctx)->set_verify_mode(asio::ssl::verify_peer, ec);
  if (ec) return Status::Internal("cannot set TLS verify mode: " + ec.message());
  return ctx;
}

}  // namespace drover
