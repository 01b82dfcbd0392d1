// A temporary directory that tests fill with files laid out like a host's (/sys/fs/cgroup,
// /proc), read back, and that disappears with the test.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace drover::test_support {

class TempTree {
 public:
  explicit TempTree(const std::string& prefix = "drover-test") {
    std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + tmpl);
    root_ = tmpl;
  }
  ~TempTree() {
    std::error_code ec;  // a test that already failed must not also throw here
    std::filesystem::remove_all(root_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& root() const { return root_; }
  void Put(const std::string& rel, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(root_ + "/" + rel).parent_path());
    std::ofstream(root_ + "/" + rel) << content;
  }
  std::string Get(const std::string& rel) const {
    std::ifstream in(root_ + "/" + rel);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool Has(const std::string& rel) const { return std::filesystem::exists(root_ + "/" + rel); }

 private:
  std::string root_;
};

}  // namespace drover::test_support
