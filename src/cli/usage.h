// How every command ends its command-line parsing: --help (or, for `drover help --man`, the
// man page made from the same CLI11 definitions) and usage errors with one exit status.
#pragma once

#include <string>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace drover::cli {

// `drover help --man CMD` / `drover help --options CMD` run CMD with --help in one of these
// modes: the command prints its man page or its option names instead of its help.
enum class HelpMode { kText, kMan, kOptions };
void SetHelpMode(HelpMode mode);
HelpMode GetHelpMode();

// What --help prints in the current mode.
std::string HelpText(const CLI::App& app, const std::string& prog);

// For a CLI11 ParseError: --help prints HelpText and returns 0; a usage error prints
// "<prog>: error: ..." and returns UsageExit(prog).
int UsageError(const CLI::App& app, const std::string& prog, const CLI::ParseError& e);

}  // namespace drover::cli
