// Pure helpers for cgroupfs file contents: no I/O, unit-tested directly.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace drover::noded {

// {0,1,2,3,6} -> "0-3,6" (the cpuset.cpus syntax).
std::string FormatCpuList(std::vector<uint32_t> cpus);
// "0-3,6\n" -> {0,1,2,3,6}; nullopt if malformed. "" -> {}.
std::optional<std::vector<uint32_t>> ParseCpuList(const std::string& text);
// A single unsigned number ("12345\n"); "max" and garbage -> nullopt.
std::optional<uint64_t> ParseCgroupUint(const std::string& text);
// The value of `key` in "key value" lines (cpu.stat, memory.events, memory.oom_control).
std::optional<uint64_t> ParseKeyedValue(const std::string& text, const std::string& key);
// cgroup.procs: one pid a line.
std::vector<pid_t> ParsePidList(const std::string& text);

}  // namespace drover::noded
