#include "noded/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace drover::noded {

std::string JobDir(const std::string& spool, uint64_t job_id) {
  return spool + "/job_" + std::to_string(job_id);
}

std::string ScriptPath(const std::string& spool, uint64_t job_id) {
  return spool + "/scripts/job_" + std::to_string(job_id);
}

std::vector<uint64_t> ListJobDirs(const std::string& spool) {
  std::vector<uint64_t> ids;
  DIR* dir = opendir(spool.c_str());
  if (dir == nullptr) return ids;
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name.rfind("job_", 0) != 0) continue;
    const std::string digits = name.substr(4);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    try {
      ids.push_back(std::stoull(digits));
    } catch (const std::out_of_range&) {
      continue;  // not a directory of ours
    }
  }
  closedir(dir);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string EncodeResult(const JobResult& r) {
  std::string reason = r.reason;
  std::replace(reason.begin(), reason.end(), '\n', ' ');
  std::string drain = r.drain_reason;
  std::replace(drain.begin(), drain.end(), '\n', ' ');
  return "state=" + std::string(JobStateName(r.state)) + "\nexit_code=" + std::to_string(r.exit_code) +
         "\nexit_signal=" + std::to_string(r.exit_signal) + "\nreason=" + reason +
         "\ncpu_ms=" + std::to_string(r.cpu_ms) + "\nmax_rss_kb=" + std::to_string(r.max_rss_kb) +
         "\ndrain_reason=" + drain + "\nrequeue=" + (r.requeue ? "1" : "0") + "\n";
}

Result<JobResult> DecodeResult(const std::string& text) {
  JobResult r;
  bool have_state = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    try {
      if (key == "state") {
        auto s = ParseJobState(value);
        if (!s) return Status::InvalidArgument("unknown job state in result: " + value);
        r.state = *s;
        have_state = true;
      } else if (key == "exit_code") {
        r.exit_code = std::stoi(value);
      } else if (key == "exit_signal") {
        r.exit_signal = std::stoi(value);
      } else if (key == "reason") {
        r.reason = value;
      } else if (key == "cpu_ms") {
        r.cpu_ms = std::stoull(value);
      } else if (key == "max_rss_kb") {
        r.max_rss_kb = std::stoull(value);
      } else if (key == "drain_reason") {
        r.drain_reason = value;
      } else if (key == "requeue") {
        r.requeue = value == "1";
      }
    } catch (const std::exception&) {
      return Status::InvalidArgument("malformed result line: " + line);
    }
  }
  if (!have_state) return Status::InvalidArgument("result has no state");
  return r;
}

Status WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode,
                       Survives survives) {
  const std::string tmp = path + ".tmp";
  // A temporary file left by a writer that was killed must not lend its mode to this one.
  unlink(tmp.c_str());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::IoError("cannot create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return Status::IoError("cannot write " + tmp + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd, mode) != 0 || (survives == Survives::kHostCrash && fsync(fd) != 0) || close(fd) != 0) {
    return Status::IoError("cannot flush " + tmp + ": " + std::strerror(errno));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

// Plain read(2) rather than streams: each batch supervisor reads launch.pb with it, and an
// ifstream's locale set-up, buffer and extra copy cost more than the read.
Result<std::string> ReadWholeFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("cannot read " + path + ": " + std::strerror(errno));
  std::string out;
  struct stat st {};
  if (fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return Status::IoError("cannot read " + path + ": " + std::strerror(err));
    }
    break;
  }
  close(fd);
  return out;
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace drover::noded
