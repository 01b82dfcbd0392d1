#include "cli/man.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace drover::cli {
namespace {

TEST(ManTest, EveryOptionAndTheSynopsisAreOnThePage) {
  CLI::App app{"drover thing: do a thing.\n\nusage: drover thing [options] FILE", "drover thing"};
  std::string a, b;
  bool f = false;
  app.add_option("-J,--job-name", a, "name of the job");
  app.add_option("--mem", b, "memory per node")->group("Resources");
  app.add_flag("--wait", f, "wait for it");
  const std::string page = ManPage(app, "drover thing");
  EXPECT_NE(page.find(".TH DROVER-THING 1"), std::string::npos) << page;
  EXPECT_NE(page.find("drover-thing \\- do a thing."), std::string::npos) << page;
  EXPECT_NE(page.find(".SH SYNOPSIS\ndrover thing [options] FILE"), std::string::npos) << page;
  EXPECT_NE(page.find("\\fB\\-J\\fR, \\fB\\-\\-job\\-name\\fR \\fITEXT\\fR"), std::string::npos) << page;
  EXPECT_NE(page.find(".SS Resources"), std::string::npos) << page;
  EXPECT_NE(page.find("\\fB\\-\\-wait\\fR\nwait for it"), std::string::npos) << page;
  EXPECT_NE(page.find(".SH EXIT STATUS"), std::string::npos);
}

TEST(ManTest, SubcommandsAndOptionWords) {
  CLI::App app{"drover local: a cluster", "drover local"};
  std::string dir;
  auto* up = app.add_subcommand("up", "start it");
  up->add_option("--dir", dir, "where");
  const std::string page = ManPage(app, "drover local");
  EXPECT_NE(page.find(".SH COMMANDS\n.SS up\nstart it"), std::string::npos) << page;
  const std::string words = OptionWords(app);
  EXPECT_NE(words.find("--help\n"), std::string::npos) << words;
  EXPECT_NE(words.find("up\n--help\n--dir\n"), std::string::npos) << words;
}

TEST(ManTest, RoffEscaping) {
  EXPECT_EQ(RoffEscape("a-b"), "a\\-b");
  EXPECT_EQ(RoffEscape(".x\n'y"), "\\&.x\n\\&'y");
  EXPECT_EQ(RoffEscape("c:\\d"), "c:\\ed");
}

}  // namespace
}  // namespace drover::cli
