#include "common/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace drover {

void InitLogging(const std::string& name, const std::string& level, const std::string& file) {
  std::shared_ptr<spdlog::logger> logger;
  if (file.empty()) {
    logger = spdlog::stderr_logger_mt(name);
  } else {
    try {
      logger = spdlog::basic_logger_mt(name, file);
    } catch (const spdlog::spdlog_ex& e) {
      // A daemon that cannot open its log file still runs, logging to stderr and saying why.
      logger = spdlog::stderr_logger_mt(name);
      logger->warn("cannot log to {}: {}; logging to stderr", file, e.what());
    }
  }
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %l: %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace drover
