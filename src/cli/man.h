// Man pages and completion word lists made from the CLI11 definitions that --help prints, so
// the three never disagree. Pure.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace drover::cli {

// The roff page of command `prog` ("drover submit" -> drover-submit(1)): NAME, SYNOPSIS,
// DESCRIPTION, every option with its description, subcommands, EXIT STATUS.
std::string ManPage(const CLI::App& app, const std::string& prog);

// Every option name of `app` and its subcommands ("--job-name", "-J", ...) and subcommand
// names, one per line, for bash completion.
std::string OptionWords(const CLI::App& app);

// Text made safe for roff: backslashes, '-' and a leading '.' or '\''.
std::string RoffEscape(const std::string& text);

}  // namespace drover::cli
