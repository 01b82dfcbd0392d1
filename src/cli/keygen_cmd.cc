// drover keygen: the cluster key, CA and host certificates.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/empty_values.h"
#include "cli/commands.h"
#include "cli/usage.h"
#include "common/hostlist.h"
#include "common/keygen.h"

namespace drover::cli {

int RunKeygen(const Args& args) {
  CLI::App app{"drover keygen: make the cluster key, a cluster CA and one TLS certificate per host.\n"
               "Existing files are kept, so running it again only adds new hosts.",
               "drover keygen"};
  KeygenOptions opts;
  opts.dir = "/etc/drover";
  std::string hosts;
  app.add_option("--dir", opts.dir, "where to write (default /etc/drover)");
  app.add_option("--hosts", hosts, "hosts to make certificates for, as a hostlist: node[1-4]")->required();
  app.add_option("--days", opts.valid_days, "certificate validity in days");
  app.add_flag("--force", opts.force, "replace existing keys and certificates");
  try {
    auto rev = Reversed(args);
    RefuseEmptyValues(app, args);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    return UsageError(app, "drover keygen", e);
  }
  auto names = ExpandHostlist(hosts);
  if (!names.ok()) {
    std::cerr << "drover keygen: error: --hosts: " << names.status().message() << "\n";
    return 1;
  }
  opts.hosts = *names;
  auto report = GenerateClusterKeys(opts);
  if (!report.ok()) {
    std::cerr << "drover keygen: error: " << report.status().message() << "\n";
    return 1;
  }
  for (const auto& p : report->created) std::cout << "created " << p << "\n";
  for (const auto& p : report->kept) std::cout << "kept    " << p << "\n";
  std::cout << "Copy cluster.key, tls/ca.crt and each host's tls/<host>.crt and .key to that host "
               "(keys stay mode 0400).\n";
  return 0;
}

}  // namespace drover::cli
