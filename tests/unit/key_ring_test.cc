#include "common/key_ring.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/reload_signal.h"

namespace drover {
namespace {

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drover-keyring-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteKey(const std::string& name, char fill) {
    const std::string path = dir_ + "/" + name;
    std::filesystem::remove(path);
    std::ofstream(path) << std::string(32, fill);
    chmod(path.c_str(), 0400);
    return path;
  }

  // A minimal valid configuration naming the given keys.
  std::string WriteConfig(const std::string& key, const std::string& next) {
    const std::string path = dir_ + "/drover.yaml";
    std::ofstream out(path, std::ios::trunc);
    out << "controller: {host: node3}\nkey_file: " << key << "\n";
    if (!next.empty()) out << "next_key_file: " << next << "\n";
    out << "nodes:\n  - {names: node1, cpus: 2, memory: 1G}\n"
        << "partitions:\n  - {name: main, nodes: node1, default: true}\n";
    return path;
  }

  std::string dir_;
};

TEST_F(KeyRingTest, CurrentKeySignsAndNextKeyIsAlsoAccepted) {
  Config c;
  c.key_file = WriteKey("current.key", 'c');
  c.next_key_file = WriteKey("next.key", 'n');
  auto ring = LoadKeyRing(c);
  ASSERT_TRUE(ring.ok()) << ring.status().message();
  EXPECT_EQ(ring->signing.bytes, std::string(32, 'c'));
  ASSERT_EQ(ring->accepted.size(), 2u);
  EXPECT_EQ(ring->accepted[1].bytes, std::string(32, 'n'));
  EXPECT_NE(ring->Describe().find("(signs)"), std::string::npos);
}

TEST_F(KeyRingTest, ErrorsNameTheSetting) {
  Config c;
  c.key_file = WriteKey("current.key", 'c');
  c.next_key_file = dir_ + "/missing.key";
  auto ring = LoadKeyRing(c);
  ASSERT_FALSE(ring.ok());
  EXPECT_NE(ring.status().message().find("next_key_file"), std::string::npos);

  c.next_key_file = WriteKey("copy.key", 'c');
  ring = LoadKeyRing(c);
  ASSERT_FALSE(ring.ok());
  EXPECT_NE(ring.status().message().find("same key"), std::string::npos);
}

TEST_F(KeyRingTest, SighupAppliesNewKeysAndABadEditChangesNothing) {
  const std::string current = WriteKey("current.key", 'c');
  const std::string config = WriteConfig(current, "");
  asio::io_context io;
  std::vector<KeyRing> applied;
  ReloadOnSignal reload(io, config, [&](const Config&, KeyRing k) {
    applied.push_back(k);
    io.stop();
    return Status::Ok();
  });

  WriteConfig(current, WriteKey("next.key", 'n'));
  ASSERT_EQ(raise(SIGHUP), 0);
  io.run_for(std::chrono::seconds(30));
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].accepted.size(), 2u);

  WriteConfig(current, dir_ + "/missing.key");
  EXPECT_FALSE(reload.Reload().ok());
  EXPECT_EQ(applied.size(), 1u);
}

TEST_F(KeyRingTest, TheObserverHearsEveryReloadBeginAndEndEvenARefusedOne) {
  const std::string current = WriteKey("current.key", 'c');
  const std::string config = WriteConfig(current, "");
  asio::io_context io;
  std::vector<std::string> events;
  ReloadOnSignal reload(
      io, config, [&](const Config&, KeyRing) { events.push_back("apply"); return Status::Ok(); },
      {[&] { events.push_back("begin"); },
       [&](const Status& s) { events.push_back(s.ok() ? "end ok" : "end refused"); }});

  EXPECT_TRUE(reload.Reload().ok());
  WriteConfig(current, dir_ + "/missing.key");
  EXPECT_FALSE(reload.Reload().ok());
  EXPECT_EQ(events, (std::vector<std::string>{"begin", "apply", "end ok", "begin", "end refused"}));
}

TEST_F(KeyRingTest, AnApplyThatRefusesMakesTheReloadFail) {
  const std::string current = WriteKey("current.key", 'c');
  const std::string config = WriteConfig(current, "");
  asio::io_context io;
  ReloadOnSignal reload(io, config, [&](const Config&, KeyRing) { return Status::Unsupported("needs a restart"); });
  const Status s = reload.Reload();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "needs a restart");
}

}  // namespace
}  // namespace drover
