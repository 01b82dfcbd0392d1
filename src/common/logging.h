// Logging set-up shared by the daemons: spdlog to stderr (foreground, systemd journal) or to a
// file, with the daemon's name in every line.
#pragma once

#include <string>

namespace drover {

// `level`: trace, debug, info, warn, error. `file` empty = stderr.
void InitLogging(const std::string& name, const std::string& level, const std::string& file);

}  // namespace drover
