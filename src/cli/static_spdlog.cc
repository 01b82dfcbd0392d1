// spdlog's compiled part, built from its headers into the CLI (DROVER_STATIC_CLI), in place
// of libspdlog.so: with libstdc++ static as well, the CLI then loads no shared C++ library
// at all, which is most of what its start-up cost (bench/README.md). Debian ships spdlog as a
// shared library only; its headers carry the definitions (the -inl.h files), so this file
// plays the part of spdlog's own src/*.cpp for the pieces drover uses. A piece missing here
// is a link error of the CLI, never a silent fallback.
#ifndef SPDLOG_COMPILED_LIB
#error "static_spdlog.cc is compiled with SPDLOG_COMPILED_LIB, as spdlog's own library is"
#endif

#include <spdlog/common-inl.h>
#include <spdlog/details/backtracer-inl.h>
#include <spdlog/details/file_helper-inl.h>
#include <spdlog/details/log_msg-inl.h>
#include <spdlog/details/log_msg_buffer-inl.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/details/os-inl.h>
#include <spdlog/details/periodic_worker-inl.h>
#include <spdlog/details/registry-inl.h>
#include <spdlog/logger-inl.h>
#include <spdlog/pattern_formatter-inl.h>
#include <spdlog/sinks/ansicolor_sink-inl.h>
#include <spdlog/sinks/base_sink-inl.h>
#include <spdlog/sinks/basic_file_sink-inl.h>
#include <spdlog/sinks/sink-inl.h>
#include <spdlog/sinks/stdout_sinks-inl.h>
#include <spdlog/spdlog-inl.h>

#include <mutex>

template class spdlog::sinks::base_sink<std::mutex>;
template class spdlog::sinks::base_sink<spdlog::details::null_mutex>;
template class spdlog::sinks::ansicolor_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::ansicolor_stdout_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::stdout_sink_base<spdlog::details::console_mutex>;
template class spdlog::sinks::stderr_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::basic_file_sink<std::mutex>;
template std::shared_ptr<spdlog::logger> spdlog::stderr_logger_mt<spdlog::synchronous_factory>(
    const std::string& logger_name);
template std::shared_ptr<spdlog::logger> spdlog::basic_logger_mt<spdlog::synchronous_factory>(
    const std::string& logger_name, const spdlog::filename_t& filename, bool truncate,
    const spdlog::file_event_handlers& event_handlers);
