#include "common/file_system.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace drover {

namespace fs = std::filesystem;

RootedFileSystem::RootedFileSystem(std::string root) : root_(std::move(root)) {
  while (!root_.empty() && root_.back() == '/') root_.pop_back();
}

std::string RootedFileSystem::RealPath(const std::string& path) const {
  if (root_.empty()) return path.empty() || path[0] != '/' ? "/" + path : path;
  return root_ + (path.empty() || path[0] != '/' ? "/" : "") + path;
}

Result<std::string> RootedFileSystem::ReadFile(const std::string& path) const {
  const std::string real = RealPath(path);
  std::ifstream in(real, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return Status::NotFound(real + ": no such file");
    return Status::IoError("cannot read " + real + ": " + std::strerror(err));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read " + real);
  return ss.str();
}

Status RootedFileSystem::WriteFile(const std::string& path, const std::string& data) {
  const std::string real = RealPath(path);
  std::ofstream out(real, std::ios::binary | std::ios::trunc);
  if (!out) return Status::IoError("cannot write " + real + ": " + std::strerror(errno));
  out << data;
  out.close();
  if (!out) return Status::IoError("cannot write " + real + ": " + std::strerror(errno));
  return Status::Ok();
}

Result<std::vector<std::string>> RootedFileSystem::ListDir(const std::string& path) const {
  const std::string real = RealPath(path);
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(real, ec)) names.push_back(entry.path().filename().string());
  if (ec) return Status::NotFound("cannot list " + real + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

bool RootedFileSystem::Exists(const std::string& path) const {
  std::error_code ec;
  return fs::exists(RealPath(path), ec);
}

Status RootedFileSystem::MakeDirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(RealPath(path), ec);
  if (ec) return Status::IoError("cannot create " + RealPath(path) + ": " + ec.message());
  return Status::Ok();
}

Status RootedFileSystem::RemoveAll(const std::string& path) {
  std::error_code ec;
  fs::remove_all(RealPath(path), ec);
  if (ec) return Status::IoError("cannot remove " + RealPath(path) + ": " + ec.message());
  return Status::Ok();
}

Status WriteFileMakingDirs(FileSystem& fs, const std::string& path, const std::string& data) {
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) DROVER_RETURN_IF_ERROR(fs.MakeDirs(path.substr(0, slash)));
  return fs.WriteFile(path, data);
}

}  // namespace drover
