#include "cli/directives.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

using Words = std::vector<std::string>;

Words Split(std::string_view line) {
  auto words = ShellSplit(line);
  EXPECT_TRUE(words.ok()) << words.status().message();
  return words.ok() ? *words : Words{};
}

Words Args(std::string_view script) {
  auto d = ExtractDirectives(script);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return d.ok() ? d->args : Words{};
}

TEST(DirectivesShellSplitTest, Whitespace) {
  EXPECT_EQ(Split(""), Words{});
  EXPECT_EQ(Split("   \t "), Words{});
  EXPECT_EQ(Split("  -N 2\t--ntasks=4  "), (Words{"-N", "2", "--ntasks=4"}));
}

TEST(DirectivesShellSplitTest, Quotes) {
  EXPECT_EQ(Split(R"(--job-name="my job")"), Words{"--job-name=my job"});
  EXPECT_EQ(Split(R"(-J 'it''s' "a 'b'" 'a "b"')"), (Words{"-J", "its", "a 'b'", "a \"b\""}));
  EXPECT_EQ(Split(R"("" '')"), (Words{"", ""}));
  EXPECT_EQ(Split(R"(a"b c"d)"), Words{"ab cd"});
}

TEST(DirectivesShellSplitTest, Backslashes) {
  EXPECT_EQ(Split(R"(my\ job)"), Words{"my job"});
  EXPECT_EQ(Split(R"(\"x\")"), Words{"\"x\""});
  // Inside double quotes only \ " $ ` are escapes; inside single quotes nothing is.
  EXPECT_EQ(Split(R"("a\"b\\c\d")"), Words{R"(a"b\c\d)"});
  EXPECT_EQ(Split(R"('a\b')"), Words{R"(a\b)"});
  EXPECT_EQ(Split(R"(end\)"), Words{R"(end\)"});
}

TEST(DirectivesShellSplitTest, CommentsStartOnlyAtAWordStart) {
  EXPECT_EQ(Split("-N 2 # two nodes"), (Words{"-N", "2"}));
  EXPECT_EQ(Split("-N 2 #two nodes"), (Words{"-N", "2"}));
  EXPECT_EQ(Split("--comment=a#b"), Words{"--comment=a#b"});
  EXPECT_EQ(Split(R"("#not a comment" \#nor)"), (Words{"#not a comment", "#nor"}));
}

TEST(DirectivesShellSplitTest, UnterminatedQuote) {
  auto words = ShellSplit(R"(--job-name="my job)");
  ASSERT_FALSE(words.ok());
  EXPECT_EQ(words.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(words.status().message().find("unterminated quote"), std::string::npos);
  EXPECT_FALSE(ShellSplit("'abc").ok());
}

TEST(DirectivesTest, ScriptWithoutDirectives) {
  auto d = ExtractDirectives("#!/bin/bash\necho hello\n");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->args.empty());
  EXPECT_TRUE(d->warnings.empty());
  EXPECT_TRUE(ExtractDirectives("").ok());
}

// The header dask-jobqueue's SLURMCluster writes.
TEST(DirectivesTest, DaskJobqueueHeader) {
  const char* script = R"(#!/usr/bin/env bash

#SBATCH -J dask-worker
#SBATCH -p compute
#SBATCH -n 1
#SBATCH --cpus-per-task=4
#SBATCH --mem=15G
#SBATCH -t 00:30:00

/usr/bin/python3 -m distributed.cli.dask_worker tcp://10.0.0.1:8786 --nthreads 4 --memory-limit 16.00GB --name dummy-name --nanny --death-timeout 60
)";
  EXPECT_EQ(Args(script), (Words{"-J", "dask-worker", "-p", "compute", "-n", "1",
                                 "--cpus-per-task=4", "--mem=15G", "-t", "00:30:00"}));
}

// submitit's batch header: long options with '=', %j patterns, a signal spec.
TEST(DirectivesTest, SubmititHeader) {
  const char* script = R"(#!/bin/bash

# Parameters
#SBATCH --cpus-per-task=2
#SBATCH --error=/home/alice/logs/%j_0_log.err
#SBATCH --job-name=submitit
#SBATCH --nodes=1
#SBATCH --open-mode=append
#SBATCH --output=/home/alice/logs/%j_0_log.out
#SBATCH --signal=USR2@90
#SBATCH --time=5
#SBATCH --wckey=submitit

# command
export SUBMITIT_EXECUTOR=slurm
srun --unbuffered --output /home/alice/logs/%j_%t_log.out python3 -u -m submitit.core._submit /home/alice/logs
)";
  EXPECT_EQ(Args(script),
            (Words{"--cpus-per-task=2", "--error=/home/alice/logs/%j_0_log.err",
                   "--job-name=submitit", "--nodes=1", "--open-mode=append",
                   "--output=/home/alice/logs/%j_0_log.out", "--signal=USR2@90", "--time=5",
                   "--wckey=submitit"}));
}

// Nextflow's .command.run: space-separated values, other comment lines in between.
TEST(DirectivesTest, NextflowCommandRun) {
  const char* script = R"(#!/bin/bash -ue
#SBATCH -J nf-sayHello_(1)
#SBATCH -o /work/e1/2a3b4c/.command.log
#SBATCH --no-requeue
#SBATCH --signal B:USR2@30
#SBATCH -c 2
#SBATCH --mem 4096M
# NEXTFLOW TASK: sayHello (1)
set -e
set -u
NXF_DEBUG=${NXF_DEBUG:=0}; [[ $NXF_DEBUG > 1 ]] && set -x
)";
  EXPECT_EQ(Args(script),
            (Words{"-J", "nf-sayHello_(1)", "-o", "/work/e1/2a3b4c/.command.log", "--no-requeue",
                   "--signal", "B:USR2@30", "-c", "2", "--mem", "4096M"}));
}

TEST(DirectivesTest, QuotedValueAndTrailingComment) {
  EXPECT_EQ(Args("#!/bin/sh\n#SBATCH --job-name=\"my job\" # comment\nhostname\n"),
            Words{"--job-name=my job"});
}

TEST(DirectivesTest, SeveralOptionsOnOneLine) {
  EXPECT_EQ(Args("#SBATCH -N 2 --ntasks-per-node=1 -t 10\n"),
            (Words{"-N", "2", "--ntasks-per-node=1", "-t", "10"}));
}

// sbatch stops at the first command: later "#SBATCH" lines are plain comments.
TEST(DirectivesTest, DirectiveAfterFirstCommandIsIgnored) {
  const char* script = "#!/bin/bash\n#SBATCH -N 1\necho start\n#SBATCH -N 4\n";
  EXPECT_EQ(Args(script), (Words{"-N", "1"}));
}

TEST(DirectivesTest, OnlyExactMagicWordsInTheFirstColumnCount) {
  const char* script =
      "#!/bin/bash\n"
      "  #SBATCH -N 9\n"        // indented: a comment
      "#SBATCHED by hand\n"     // not the magic word
      "# SBATCH -N 8\n"         // space after '#'
      "#sbatch -N 7\n"          // case matters
      "#SBATCH\n"               // magic word alone: no options
      "#SBATCH\t-N 1\n"
      "#DROVER --cpu-kind=big\n"
      "\n"
      "srun hostname\n";
  EXPECT_EQ(Args(script), (Words{"-N", "1", "--cpu-kind=big"}));
}

TEST(DirectivesTest, SlurmPrefixIsReadWithAWarning) {
  auto d = ExtractDirectives("#!/bin/bash\n#SBATCH -N 1\n#SLURM -t 5\n");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->args, (Words{"-N", "1", "-t", "5"}));
  ASSERT_EQ(d->warnings.size(), 1u);
  EXPECT_NE(d->warnings[0].find("line 3"), std::string::npos) << d->warnings[0];
  EXPECT_NE(d->warnings[0].find("use #SBATCH"), std::string::npos) << d->warnings[0];
}

TEST(DirectivesTest, CrlfLineEndings) {
  EXPECT_EQ(Args("#!/bin/bash\r\n#SBATCH -J win\r\n\r\necho hi\r\n"), (Words{"-J", "win"}));
}

TEST(DirectivesTest, UnterminatedQuoteNamesTheLine) {
  auto d = ExtractDirectives("#!/bin/bash\n#SBATCH -N 1\n#SBATCH --job-name=\"oops\necho\n");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message().rfind("line 3: unterminated quote", 0), 0u)
      << d.status().message();
}

// A broken quote below the header is the script's business, not ours.
TEST(DirectivesTest, QuotesAfterTheHeaderAreNotParsed) {
  EXPECT_EQ(Args("#SBATCH -N 1\necho \"unbalanced\n#SBATCH -J 'x\n"), (Words{"-N", "1"}));
}

}  // namespace
}  // namespace drover::cli
