// FileSystem: every read of /sys and /proc (and later cgroup files) goes through this seam, so
// the code that interprets those files runs on a fake tree in a temporary directory in tests
// (STYLE.md §6.8; the same idea as hwloc's HWLOC_FSROOT).
//
// Paths are absolute ("/proc/meminfo"); a RootedFileSystem resolves them under its root ("/" in
// production). Implementations are thread-compatible: const methods may be called
// concurrently, writers need outside synchronisation.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace drover {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The whole file. NotFound if it does not exist, IoError if it cannot be read.
  virtual Result<std::string> ReadFile(const std::string& path) const = 0;
  // Replaces the file's content, creating the file (not its directories) if needed.
  virtual Status WriteFile(const std::string& path, const std::string& data) = 0;
  // Names in a directory (no "." or ".."), sorted. NotFound if it is not a directory.
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) const = 0;
  virtual bool Exists(const std::string& path) const = 0;
  // Creates the directory and its missing parents; OK if it exists.
  virtual Status MakeDirs(const std::string& path) = 0;
  // Removes a file or a whole directory tree; OK if nothing was there.
  virtual Status RemoveAll(const std::string& path) = 0;
};

// The real filesystem under `root`: RootedFileSystem("/tmp/x").ReadFile("/proc/meminfo") reads
// /tmp/x/proc/meminfo.
class RootedFileSystem : public FileSystem {
 public:
  explicit RootedFileSystem(std::string root = "/");

  const std::string& root() const { return root_; }
  // Where `path` lives on the real filesystem.
  std::string RealPath(const std::string& path) const;

  Result<std::string> ReadFile(const std::string& path) const override;
  Status WriteFile(const std::string& path, const std::string& data) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) const override;
  bool Exists(const std::string& path) const override;
  Status MakeDirs(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;

 private:
  std::string root_;  // without a trailing '/', "" for "/"
};

// Writes `data` to `path`, creating its parent directories first.
Status WriteFileMakingDirs(FileSystem& fs, const std::string& path, const std::string& data);

}  // namespace drover
