#include "cli/usage.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/exit_codes.h"
#include "cli/man.h"

namespace drover::cli {
namespace {

HelpMode g_mode = HelpMode::kText;

}  // namespace

void SetHelpMode(HelpMode mode) { g_mode = mode; }
HelpMode GetHelpMode() { return g_mode; }

std::string HelpText(const CLI::App& app, const std::string& prog) {
  switch (g_mode) {
    case HelpMode::kMan: return ManPage(app, prog);
    case HelpMode::kOptions: return OptionWords(app);
    case HelpMode::kText: break;
  }
  return app.help();
}

int UsageError(const CLI::App& app, const std::string& prog, const CLI::ParseError& e) {
  if (e.get_exit_code() == 0) {
    if (g_mode == HelpMode::kText) return app.exit(e);
    std::cout << HelpText(app, prog);
    return 0;
  }
  std::cerr << prog << ": error: " << e.what() << "\nTry '" << prog << " --help' for more information.\n";
  return UsageExit(prog);
}

}  // namespace drover::cli
