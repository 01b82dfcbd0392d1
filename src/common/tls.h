// TLS contexts for drover's connections: TLS 1.3 only, peers verified against the cluster CA.
//
// Daemons present their host certificate (name = host name, as CN and DNS SAN). A server
// accepts clients with or without a certificate: one that presents a certificate must chain
// to the cluster CA (daemons); one without is an ordinary user, who must authenticate each
// request with a credential instead. Clients always verify the server's chain and name.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace asio::ssl {
class context;
}

namespace drover {

struct TlsFiles {
  std::string ca;    // required
  std::string cert;  // optional for clients (the CLI has none)
  std::string key;   // required with cert
};

// Errors name the file that could not be loaded and why (missing, unreadable, not PEM).
Result<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(const TlsFiles& files);
Result<std::shared_ptr<asio::ssl::context>> MakeClientTlsContext(const TlsFiles& files);

}  // namespace drover
