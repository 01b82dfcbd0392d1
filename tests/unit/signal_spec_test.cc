#include "cli/signal_spec.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

TEST(SignalSpecTest, SignalNamesAndNumbers) {
  EXPECT_EQ(*ParseSignal("USR1"), SIGUSR1);
  EXPECT_EQ(*ParseSignal("sigusr2"), SIGUSR2);
  EXPECT_EQ(*ParseSignal("15"), SIGTERM);
  EXPECT_FALSE(ParseSignal("0").ok());
  EXPECT_FALSE(ParseSignal("99999999999").ok());
  EXPECT_NE(ParseSignal("NOPE").status().message().find("'NOPE'"), std::string::npos);
}

TEST(SignalSpecTest, WarnSignalForms) {
  auto w = ParseWarnSignal("USR2");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->signal, SIGUSR2);
  EXPECT_EQ(w->time_s, 60u);  // Slurm's default
  EXPECT_FALSE(w->batch_only);
  w = ParseWarnSignal("B:USR2@30");
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->batch_only);
  EXPECT_EQ(w->time_s, 30u);
  w = ParseWarnSignal("rb:10@0");
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->batch_only);
  EXPECT_TRUE(w->reservation);
  EXPECT_EQ(w->signal, 10);
  EXPECT_EQ(w->time_s, 0u);
  w = ParseWarnSignal("R:TERM@65535");
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w->batch_only);
}

TEST(SignalSpecTest, WarnSignalErrorsShowTheForm) {
  for (const char* bad : {"", "B:", "X:USR1", "USR1@", "USR1@-5", "USR1@65536", "USR1@1m", "NOPE@5", "B:@5"}) {
    auto w = ParseWarnSignal(bad);
    ASSERT_FALSE(w.ok()) << bad;
    EXPECT_NE(w.status().message().find("[{R|B}:]SIGNAL[@SECONDS]"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace drover::cli
