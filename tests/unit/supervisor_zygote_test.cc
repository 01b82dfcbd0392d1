#include "noded/supervisor_zygote.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace drover::noded {
namespace {

// fields: exit code, then a file to write what the child saw into.
int ChildMain(const std::vector<std::string>& fields) {
  if (fields.size() >= 2) {
    const bool fd3_open = fcntl(3, F_GETFD) != -1;  // before this function opens anything
    std::ofstream out(fields[1]);
    struct sigaction hup {};
    sigaction(SIGHUP, nullptr, &hup);
    struct sigaction term {};
    sigaction(SIGTERM, nullptr, &term);
    sigset_t mask;
    sigprocmask(SIG_SETMASK, nullptr, &mask);
    // What the zygote ignores itself, and a handler the parent had when it started the zygote.
    bool others_default = true;
    for (int sig : {SIGINT, SIGQUIT, SIGUSR1}) {
      struct sigaction a {};
      sigaction(sig, nullptr, &a);
      others_default &= a.sa_handler == SIG_DFL;
    }
    struct sigaction pipe {};
    sigaction(SIGPIPE, nullptr, &pipe);
    out << "session_leader=" << (getsid(0) == getpid()) << "\n"
        << "fd3_open=" << fd3_open << "\n"
        << "hup_ignored=" << (hup.sa_handler == SIG_IGN) << "\n"
        << "term_default=" << (term.sa_handler == SIG_DFL) << "\n"
        << "chld_blocked=" << sigismember(&mask, SIGCHLD) << "\n"
        << "pipe_ignored=" << (pipe.sa_handler == SIG_IGN) << "\n"
        << "others_default=" << others_default << "\n";
  }
  std::fprintf(stderr, "to the log\n");
  return std::stoi(fields.at(0));
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<SupervisorZygote::Exit> WaitForExits(SupervisorZygote& z, size_t want, bool& gone) {
  std::vector<SupervisorZygote::Exit> all;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  gone = false;
  while (all.size() < want && !gone && std::chrono::steady_clock::now() < deadline) {
    pollfd p{z.exits_fd(), POLLIN, 0};
    poll(&p, 1, 1000);
    for (const auto& e : z.ReadExits(gone)) all.push_back(e);
  }
  return all;
}

class SupervisorZygoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("zygote-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(SupervisorZygoteTest, FieldsRoundTrip) {
  const std::vector<std::string> fields{"", "a", std::string("b\0c", 3), std::string(1000, 'x')};
  auto back = DecodeZygoteFields(EncodeZygoteFields(fields));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, fields);
  EXPECT_FALSE(DecodeZygoteFields(std::string("\x05\0\0\0ab", 6)).ok());
  EXPECT_FALSE(DecodeZygoteFields(std::string("\x05\0", 2)).ok());
  const std::string encoded = EncodeZygoteFields(fields);
  EXPECT_TRUE(WellFormedZygoteFields(encoded.data(), encoded.size()));
  EXPECT_FALSE(WellFormedZygoteFields(encoded.data(), encoded.size() - 1));
  EXPECT_FALSE(WellFormedZygoteFields("\x05\0\0\0ab", 6));
  EXPECT_FALSE(WellFormedZygoteFields("\x05\0", 2));
  EXPECT_FALSE(WellFormedZygoteFields("", 0));  // no field at all: nothing to run
}

void NoteSignal(int) {}

TEST_F(SupervisorZygoteTest, ChildrenRunDetachedAndTheirEndsAreReported) {
  struct sigaction handler {};
  handler.sa_handler = &NoteSignal;
  struct sigaction before {};
  sigaction(SIGUSR1, &handler, &before);
  auto z = SupervisorZygote::Start(&ChildMain);
  sigaction(SIGUSR1, &before, nullptr);
  ASSERT_TRUE(z.ok()) << z.status().message();
  const std::string log = (dir_ / "log").string();
  const std::string seen = (dir_ / "seen").string();
  auto a = (*z)->Spawn(log, {"3", seen});
  ASSERT_TRUE(a.ok()) << a.status().message();
  auto b = (*z)->Spawn(log, {"0"});
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_NE(*a, *b);
  bool gone = false;
  auto exits = WaitForExits(**z, 2, gone);
  EXPECT_FALSE(gone);
  ASSERT_EQ(exits.size(), 2u);
  for (const auto& e : exits) {
    ASSERT_TRUE(WIFEXITED(e.status));
    EXPECT_EQ(WEXITSTATUS(e.status), e.pid == *a ? 3 : 0);
    EXPECT_TRUE(e.pid == *a || e.pid == *b);
  }
  EXPECT_EQ(Slurp(seen), "session_leader=1\nfd3_open=0\nhup_ignored=1\nterm_default=1\nchld_blocked=0\n"
                         "pipe_ignored=1\nothers_default=1\n");
  EXPECT_EQ(Slurp(log), "to the log\nto the log\n");
  const pid_t zpid = (*z)->pid();
  z->reset();  // closing our side ends the zygote
  int status = 0;
  ASSERT_EQ(waitpid(zpid, &status, 0), zpid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(SupervisorZygoteTest, AZygoteThatDiedIsReportedGoneAndRefusesSpawns) {
  auto z = SupervisorZygote::Start(&ChildMain);
  ASSERT_TRUE(z.ok());
  const pid_t zpid = (*z)->pid();
  ASSERT_EQ(kill(zpid, SIGKILL), 0);
  ASSERT_EQ(waitpid(zpid, nullptr, 0), zpid);
  bool gone = false;
  WaitForExits(**z, 1, gone);
  EXPECT_TRUE(gone);
  auto pid = (*z)->Spawn((dir_ / "log").string(), {"0"});
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), StatusCode::kUnavailable);
}

// The drover-zygote executable: its children run the batch supervisor (which here refuses a bad
// command line, or finds no plan), their ends are reported, and it ends when its noded's side
// closes.
TEST_F(SupervisorZygoteTest, TheExecutableRunsSupervisorsAndEndsWithItsNoded) {
  auto z = SupervisorZygote::Exec(DROVER_ZYGOTE_PATH);
  ASSERT_TRUE(z.ok()) << z.status().message();
  const std::string log = (dir_ / "log").string();
  auto bad = (*z)->Spawn(log, {"--bogus"});
  ASSERT_TRUE(bad.ok()) << bad.status().message();
  bool gone = false;
  auto exits = WaitForExits(**z, 1, gone);
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].pid, *bad);
  EXPECT_TRUE(WIFEXITED(exits[0].status) && WEXITSTATUS(exits[0].status) == 2);
  auto no_plan = (*z)->Spawn(log, {"--node", "n1", "--spool", dir_.string(), (dir_ / "job_1").string()});
  ASSERT_TRUE(no_plan.ok()) << no_plan.status().message();
  exits = WaitForExits(**z, 1, gone);
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_TRUE(WIFEXITED(exits[0].status) && WEXITSTATUS(exits[0].status) == 1);
  const std::string said = Slurp(log);
  EXPECT_NE(said.find("drover-stepd: unexpected argument --bogus"), std::string::npos) << said;
  EXPECT_NE(said.find("job_1/plan"), std::string::npos) << said;
  char exe[4096] = {};
  ASSERT_GT(readlink(("/proc/" + std::to_string((*z)->pid()) + "/exe").c_str(), exe, sizeof exe - 1), 0);
  EXPECT_EQ(std::filesystem::path(exe).filename(), "drover-zygote");
  const pid_t zpid = (*z)->pid();
  z->reset();
  int status = 0;
  ASSERT_EQ(waitpid(zpid, &status, 0), zpid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(SupervisorZygoteTest, AMissingExecutableIsAnError) {
  auto z = SupervisorZygote::Exec((dir_ / "no-such-zygote").string());
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.status().message().find("no-such-zygote"), std::string::npos);
}

}  // namespace
}  // namespace drover::noded
