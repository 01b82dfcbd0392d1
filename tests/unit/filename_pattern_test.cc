#include "common/filename_pattern.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

FilenameContext Batch() {
  FilenameContext ctx;
  ctx.job_id = 1234;
  ctx.step = "batch";
  ctx.node_name = "node2";
  ctx.node_index = 1;
  ctx.task_id = 3;
  ctx.user = "alice";
  ctx.job_name = "train";
  return ctx;
}

FilenameContext ArrayElement() {
  FilenameContext ctx = Batch();
  ctx.job_id = 1240;
  ctx.array_job_id = 1234;
  ctx.array_task_id = 6;
  return ctx;
}

std::string Expand(std::string_view pattern, const FilenameContext& ctx = Batch()) {
  return ExpandFilenamePattern(pattern, ctx);
}

TEST(FilenamePatternTest, PlainTextIsUnchanged) {
  EXPECT_EQ(Expand(""), "");
  EXPECT_EQ(Expand("/home/alice/out.log"), "/home/alice/out.log");
}

// sbatch's defaults: slurm-%j.out, and slurm-%A_%a.out for arrays.
TEST(FilenamePatternTest, SbatchDefaults) {
  EXPECT_EQ(Expand("slurm-%j.out"), "slurm-1234.out");
  EXPECT_EQ(Expand("slurm-%A_%a.out", ArrayElement()), "slurm-1234_6.out");
  EXPECT_EQ(Expand("slurm-%j.out", ArrayElement()), "slurm-1240.out");
}

TEST(FilenamePatternTest, ArrayFieldsOutsideAnArray) {
  EXPECT_EQ(Expand("%A"), "1234");
  EXPECT_EQ(Expand("%a"), "4294967294");
}

TEST(FilenamePatternTest, EveryLetter) {
  EXPECT_EQ(Expand("%%"), "%");
  EXPECT_EQ(Expand("%N"), "node2");
  EXPECT_EQ(Expand("%n"), "1");
  EXPECT_EQ(Expand("%t"), "3");
  EXPECT_EQ(Expand("%u"), "alice");
  EXPECT_EQ(Expand("%x"), "train");
  EXPECT_EQ(Expand("%s"), "batch");
}

// %J is the job id for the batch script and "job.step" for a step.
TEST(FilenamePatternTest, JobStep) {
  EXPECT_EQ(Expand("%J"), "1234");
  FilenameContext step = Batch();
  step.step = "0";
  EXPECT_EQ(Expand("%J.out", step), "1234.0.out");
  EXPECT_EQ(Expand("%s", step), "0");
  FilenameContext no_step = Batch();
  no_step.step.reset();
  EXPECT_EQ(Expand("%J-%s", no_step), "1234-batch");
}

TEST(FilenamePatternTest, WidthZeroPads) {
  EXPECT_EQ(Expand("%4t"), "0003");
  EXPECT_EQ(Expand("%10j"), "0000001234");
  EXPECT_EQ(Expand("%2j"), "1234");  // never truncates
  EXPECT_EQ(Expand("%3a", ArrayElement()), "006");
  EXPECT_EQ(Expand("%6A", ArrayElement()), "001234");
  EXPECT_EQ(Expand("%3n"), "001");
  EXPECT_EQ(Expand("%0t"), "3");
}

// What an srun user writes for per-task files (CONTRACT.md SR-6).
TEST(FilenamePatternTest, SrunPerTaskFiles) {
  FilenameContext ctx = ArrayElement();
  ctx.step = "2";
  ctx.task_id = 12;
  EXPECT_EQ(Expand("out/%A_%a/%N.%j.%s.%4t.log", ctx), "out/1234_6/node2.1240.2.0012.log");
}

TEST(FilenamePatternTest, UnknownSequencesStayLiteral) {
  EXPECT_EQ(Expand("%q"), "%q");
  EXPECT_EQ(Expand("%5q"), "%5q");
  EXPECT_EQ(Expand("a%Zb%j"), "a%Zb1234");
  EXPECT_EQ(Expand("100%_done"), "100%_done");
}

TEST(FilenamePatternTest, TrailingPercentStaysLiteral) {
  EXPECT_EQ(Expand("log%"), "log%");
  EXPECT_EQ(Expand("log%4"), "log%4");
  EXPECT_EQ(Expand("%"), "%");
  EXPECT_EQ(Expand("%%%j"), "%1234");
}

TEST(FilenamePatternTest, HugeWidthIsCapped) {
  EXPECT_EQ(Expand("%999999999999j").size(), 64u);
}

}  // namespace
}  // namespace drover
