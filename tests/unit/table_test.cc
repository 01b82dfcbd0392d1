#include "cli/table.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/color.h"
#include "cli/queue_table.h"
#include "cli/terminal.h"

namespace drover::cli {
namespace {

std::vector<TableColumn> Columns() {
  TableColumn id{"JOBID", true, false, 5};
  TableColumn name{"NAME", false, true, 4};
  TableColumn state{"STATE", false, false, 5};
  TableColumn nodes{"NODELIST", false, true, 6};
  return {id, name, state, nodes};
}

const std::vector<std::vector<std::string>> kRows = {
    {"7", "a-rather-long-job-name", "RUNNING", "node[1-4,7,9-12]"},
    {"12", "x", "PENDING", "(Resources)"},
};

TEST(TableTest, UnlimitedWidthPadsToContentsWithoutTrailingSpaces) {
  const std::string out = RenderTable(Columns(), kRows, TableOptions{});
  EXPECT_EQ(out,
            "JOBID  NAME                    STATE    NODELIST\n"
            "    7  a-rather-long-job-name  RUNNING  node[1-4,7,9-12]\n"
            "   12  x                       PENDING  (Resources)\n");
}

TEST(TableTest, NarrowTerminalShrinksTheWidestShrinkingColumnFirst) {
  TableOptions options;
  options.width = 50;
  const std::string out = RenderTable(Columns(), kRows, options);
  std::stringstream ss(out);
  std::string line;
  while (std::getline(ss, line)) EXPECT_LE(DisplayWidth(line), 50u) << line;
  EXPECT_NE(out.find("RUNNING"), std::string::npos);  // fixed columns stay whole
  EXPECT_NE(out.find("\xE2\x80\xA6"), std::string::npos);
  const auto widths = FitWidths(Columns(), kRows, 50);
  EXPECT_EQ(widths[0], 5u);
  EXPECT_EQ(widths[2], 7u);
}

TEST(TableTest, ColumnsNeverShrinkBelowTheirMinimum) {
  const auto widths = FitWidths(Columns(), kRows, 10);
  EXPECT_EQ(widths[1], 4u);
  EXPECT_EQ(widths[3], 6u);
}

TEST(TableTest, DroppableColumnsGoWhenShrinkingIsNotEnough) {
  auto columns = Columns();
  columns[2].drop = 1;  // STATE
  const auto widths = FitWidths(columns, kRows, 25);
  EXPECT_EQ(widths[2], 0u);
  const std::string out = RenderTable(columns, kRows, TableOptions{25, true, nullptr});
  EXPECT_EQ(out.find("STATE"), std::string::npos) << out;
  EXPECT_EQ(out.find("RUNNING"), std::string::npos) << out;
  EXPECT_NE(out.find("NODELIST"), std::string::npos) << out;
  std::stringstream ss(out);
  std::string line;
  while (std::getline(ss, line)) EXPECT_LE(DisplayWidth(line), 25u) << line;
}

TEST(TableTest, TruncateMarksTheCut) {
  EXPECT_EQ(Truncate("abcdef", 6), "abcdef");
  EXPECT_EQ(Truncate("abcdefg", 6), "abcde\xE2\x80\xA6");
  EXPECT_EQ(DisplayWidth(Truncate("abcdefg", 6)), 6u);
  EXPECT_EQ(Truncate("abc", 0), "");
}

TEST(TableTest, ColourWrapsTheTextButNotThePadding) {
  TableOptions options;
  options.color = [](size_t column, const std::string& cell) -> std::string_view {
    return column == 2 ? StateColor(cell) : std::string_view();
  };
  const std::string out = RenderTable(Columns(), kRows, options);
  EXPECT_NE(out.find("\033[32mRUNNING\033[0m  node"), std::string::npos) << out;
  EXPECT_NE(out.find("\033[33mPENDING\033[0m  (Res"), std::string::npos) << out;
  EXPECT_EQ(out.find("\033[", 0), out.find("\033[32m"));  // the header is plain
}

TEST(ColorTest, OnlyOnATerminalAndNeverWithNoColor) {
  EXPECT_TRUE(ShouldColor(false, true, nullptr, "xterm"));
  EXPECT_FALSE(ShouldColor(false, false, nullptr, "xterm"));  // piped
  EXPECT_FALSE(ShouldColor(true, true, nullptr, "xterm"));    // --no-color
  EXPECT_FALSE(ShouldColor(false, true, "1", "xterm"));       // NO_COLOR=1
  EXPECT_TRUE(ShouldColor(false, true, "", "xterm"));         // NO_COLOR= (empty) does not count
  EXPECT_FALSE(ShouldColor(false, true, nullptr, "dumb"));
}

TEST(ColorTest, StatesInBothSpellings) {
  EXPECT_EQ(StateColor("RUNNING"), "\033[32m");
  EXPECT_EQ(StateColor("R"), "\033[32m");
  EXPECT_EQ(StateColor("PENDING"), "\033[33m");
  EXPECT_EQ(StateColor("PD"), "\033[33m");
  EXPECT_EQ(StateColor("FAILED"), "\033[31m");
  EXPECT_EQ(StateColor("OUT_OF_MEMORY"), "\033[31m");
  EXPECT_EQ(StateColor("down*"), "\033[31m");
  EXPECT_EQ(StateColor("idle"), "\033[32m");
  EXPECT_EQ(StateColor("CANCELLED"), "\033[35m");
  EXPECT_EQ(StateColor("COMPLETED"), "");
  EXPECT_EQ(Paint("x", ""), "x");
  EXPECT_EQ(Paint("x", "\033[31m"), "\033[31mx\033[0m");
}

TEST(TerminalTest, PipedOutputIsNeverCut) {
  EXPECT_EQ(ChooseWidth(false, 80, "40"), 0u);
  EXPECT_EQ(ChooseWidth(true, 120, "40"), 120u);  // the terminal's own width first
  EXPECT_EQ(ChooseWidth(true, 0, "40"), 40u);
  EXPECT_EQ(ChooseWidth(true, 0, "junk"), 80u);
  EXPECT_EQ(ChooseWidth(true, 0, nullptr), 80u);
}

TEST(QueueTableTest, StatesColouredOnlyWhenAsked) {
  v1::QueryJobsResponse r;
  auto* j = r.add_jobs();
  j->set_job_id(3);
  j->set_state(v1::JOB_STATE_RUNNING);
  j->mutable_spec()->set_name("build");
  j->set_user("alice");
  j->set_partition("batch");
  j->set_node_list("node1");
  const std::string plain = QueueTable(r, 0, true, false);
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  EXPECT_EQ(plain.rfind("JOBID", 0), 0u);
  EXPECT_NE(plain.find("RUNNING"), std::string::npos);
  EXPECT_NE(QueueTable(r, 0, true, true).find("\033[32mRUNNING"), std::string::npos);
  EXPECT_EQ(QueueTable(r, 0, false, false).find("JOBID"), std::string::npos);
  EXPECT_EQ(QueueTable(v1::QueryJobsResponse(), 0, true, false), "(no jobs)\n");
}

}  // namespace
}  // namespace drover::cli
