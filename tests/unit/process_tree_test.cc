#include "noded/process_tree.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace drover::noded {
namespace {

// In a forked process: block until the test process closes the lifeline (or dies), then
// exit. A crashed test thus leaves nothing behind, whatever became of the process's parent.
[[noreturn]] void WaitForLifelineThenExit(int lifeline_read) {
  char c;
  while (read(lifeline_read, &c, 1) < 0 && errno == EINTR) {
  }
  _exit(0);
}

class ProcessTreeTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(pipe(lifeline_), 0); }

  void TearDown() override {
    // Kill everything we started and not yet reaped, then reap what is still our child.
    close(lifeline_[0]);
    close(lifeline_[1]);
    for (pid_t p : started_) kill(p, SIGKILL);
    for (pid_t p : started_) {
      while (waitpid(p, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (subreaper_) prctl(PR_SET_CHILD_SUBREAPER, 0);
  }

  // Forks a child that forks a grandchild; both block. If `child_exits`, the child exits right
  // after the fork instead (the grandchild "daemonizes"). Fills child_ and grandchild_.
  void StartChildWithGrandchild(bool child_exits = false) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      close(lifeline_[1]);
      const pid_t grandchild = fork();
      if (grandchild < 0) _exit(2);
      if (grandchild == 0) {
        close(fds[1]);
        WaitForLifelineThenExit(lifeline_[0]);
      }
      if (write(fds[1], &grandchild, sizeof grandchild) != sizeof grandchild) _exit(3);
      close(fds[1]);
      if (child_exits) _exit(0);
      WaitForLifelineThenExit(lifeline_[0]);
    }
    close(fds[1]);
    child_ = child;
    started_.push_back(child);
    pid_t grandchild = -1;
    const ssize_t n = read(fds[0], &grandchild, sizeof grandchild);
    close(fds[0]);
    ASSERT_EQ(n, static_cast<ssize_t>(sizeof grandchild));
    grandchild_ = grandchild;
    started_.push_back(grandchild);
  }

  // Makes this process adopt orphaned descendants, as drover-stepd does.
  // qemu-user (the arm64 unit-test run) does not emulate this prctl: the test is then skipped,
  // as it can only run where the kernel itself answers.
  void BecomeSubreaper() {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
      GTEST_SKIP() << "PR_SET_CHILD_SUBREAPER unavailable here (" << std::strerror(errno) << ")";
    }
    subreaper_ = true;
  }

  // Waits for `pid` (a child of the test) and returns the signal that killed it, or 0 if it
  // exited. -1 if it was not our child.
  int ReapSignal(pid_t pid) {
    int status = 0;
    pid_t r;
    while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    if (r != pid) return -1;
    // Reaped: its pid may be reused, so TearDown must not signal it any more.
    started_.erase(std::remove(started_.begin(), started_.end(), pid), started_.end());
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }

  static bool Contains(const std::vector<pid_t>& v, pid_t p) {
    return std::find(v.begin(), v.end(), p) != v.end();
  }

  int lifeline_[2] = {-1, -1};  // children exit when the write end closes
  pid_t child_ = -1;
  pid_t grandchild_ = -1;
  std::vector<pid_t> started_;
  bool subreaper_ = false;
};

// A process without children has no descendants.
TEST_F(ProcessTreeTest, NoChildrenNoDescendants) {
  EXPECT_TRUE(Descendants(getpid()).empty());
}

// Children and grandchildren are both found.
TEST_F(ProcessTreeTest, FindsChildAndGrandchild) {
  ASSERT_NO_FATAL_FAILURE(StartChildWithGrandchild());
  const auto d = Descendants(getpid());
  EXPECT_TRUE(Contains(d, child_));
  EXPECT_TRUE(Contains(d, grandchild_));
  EXPECT_EQ(d.size(), 2u);
}

// The root itself is not among its descendants.
TEST_F(ProcessTreeTest, RootIsNotItsOwnDescendant) {
  ASSERT_NO_FATAL_FAILURE(StartChildWithGrandchild());
  EXPECT_FALSE(Contains(Descendants(getpid()), getpid()));
  EXPECT_EQ(Descendants(child_), std::vector<pid_t>{grandchild_});
}

// SIGKILL to all descendants kills both generations.
TEST_F(ProcessTreeTest, SignalDescendantsKillsWholeTree) {
  ASSERT_NO_FATAL_FAILURE(StartChildWithGrandchild());
  EXPECT_EQ(SignalDescendants(getpid(), SIGKILL), 2u);
  EXPECT_EQ(ReapSignal(child_), SIGKILL);
  // The killed grandchild was re-parented away when the child died.
  EXPECT_TRUE(Descendants(getpid()).empty());
}

// A grandchild that daemonized (its parent exited) is still found under a subreaper.
TEST_F(ProcessTreeTest, DaemonizedGrandchildFoundUnderSubreaper) {
  ASSERT_NO_FATAL_FAILURE(BecomeSubreaper());
  if (IsSkipped()) return;
  ASSERT_NO_FATAL_FAILURE(StartChildWithGrandchild(/*child_exits=*/true));
  ASSERT_EQ(ReapSignal(child_), 0);  // exited normally
  EXPECT_EQ(Descendants(getpid()), std::vector<pid_t>{grandchild_});
  EXPECT_EQ(SignalDescendants(getpid(), SIGKILL), 1u);
  EXPECT_EQ(ReapSignal(grandchild_), SIGKILL);
}

// Signalling a process without descendants signals nothing.
TEST_F(ProcessTreeTest, SignalWithoutDescendantsReturnsZero) {
  EXPECT_EQ(SignalDescendants(getpid(), SIGKILL), 0u);
}

}  // namespace
}  // namespace drover::noded
