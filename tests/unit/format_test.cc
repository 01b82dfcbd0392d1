#include "cli/format.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "cli/acct_fields.h"
#include "cli/job_fields.h"
#include "cli/reply_arena.h"
#include "common/job.h"

namespace drover::cli {
namespace {

// Renders `format` with every field's value given by `value`.
std::string Render(const std::string& format, const std::function<std::string(char)>& value) {
  return RenderLine(ParseFormat(format), value);
}

// A value per letter, so tests can tell fields apart.
std::string Sample(char code) {
  switch (code) {
    case 'i': return "12345";
    case 'j': return "a_rather_long_job_name";
    case 't': return "R";
    default: return std::string("<") + code + ">";
  }
}

// A field without a width prints the value unpadded.
TEST(FormatTest, FieldWithoutWidthIsUnpadded) {
  EXPECT_EQ(Render("%i %t", Sample), "12345 R");
}

// %10i left-justifies and pads to 10 columns.
TEST(FormatTest, WidthLeftJustifiesAndPads) {
  EXPECT_EQ(Render("%10i|", Sample), "12345     |");
}

// %3i truncates a longer value to 3 columns.
TEST(FormatTest, WidthTruncatesLongValues) {
  EXPECT_EQ(Render("%3i|", Sample), "123|");
}

// %.10i right-justifies to 10 columns.
TEST(FormatTest, DotWidthRightJustifies) {
  EXPECT_EQ(Render("%.10i|", Sample), "     12345|");
}

// %.3i truncates as well.
TEST(FormatTest, DotWidthTruncatesToo) {
  EXPECT_EQ(Render("%.3i|", Sample), "123|");
}

// Literal text around fields is kept as is.
TEST(FormatTest, LiteralTextIsKept) {
  EXPECT_EQ(Render("job=%i,state=%t;", Sample), "job=12345,state=R;");
}

// A format without fields is printed verbatim.
TEST(FormatTest, PureLiteral) {
  EXPECT_EQ(Render("hello world", Sample), "hello world");
}

// %% prints one percent sign.
TEST(FormatTest, DoublePercentIsLiteralPercent) {
  EXPECT_EQ(Render("100%% %i", Sample), "100% 12345");
}

// A dangling % at the end is kept as text.
TEST(FormatTest, DanglingPercentIsKept) {
  EXPECT_EQ(Render("%i %", Sample), "12345 %");
}

// A dangling %. or %5 at the end is kept as text too.
TEST(FormatTest, DanglingPercentWithWidthIsKept) {
  EXPECT_EQ(Render("%i %.5", Sample), "12345 %.5");
}

// The parser records letter, justification and width per field.
TEST(FormatTest, ParseRecordsFieldAttributes) {
  const auto tokens = ParseFormat("a%.18ib%8jc");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0].literal, "a");
  EXPECT_EQ(tokens[0].code, 'i');
  EXPECT_TRUE(tokens[0].right);
  EXPECT_EQ(tokens[0].width, 18);
  EXPECT_EQ(tokens[1].literal, "b");
  EXPECT_EQ(tokens[1].code, 'j');
  EXPECT_FALSE(tokens[1].right);
  EXPECT_EQ(tokens[1].width, 8);
  EXPECT_EQ(tokens[2].literal, "c");
  EXPECT_EQ(tokens[2].code, 0);
}

// Justify pads, truncates, or leaves alone without a width.
TEST(FormatTest, JustifyPadsTruncatesOrLeavesAlone) {
  EXPECT_EQ(Justify("ab", 4, false), "ab  ");
  EXPECT_EQ(Justify("ab", 4, true), "  ab");
  EXPECT_EQ(Justify("abcdef", 4, true), "abcd");
  EXPECT_EQ(Justify("abcdef", -1, false), "abcdef");
}

// squeue's default header line is byte-for-byte Slurm's.
TEST(SqueueTest, DefaultHeaderMatchesSlurm) {
  EXPECT_EQ(Render(kSqueueDefaultFormat, SqueueHeader),
            "             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)");
}

class SqueueFieldTest : public testing::Test {
 protected:
  static constexpr int64_t kSubmit = 1'700'000'000;
  static constexpr int64_t kNow = kSubmit + 10'000;

  SqueueFieldTest() {
    job_.set_job_id(42);
    job_.set_user("alice");
    job_.set_partition("batch");
    job_.set_submit_time(kSubmit);
    job_.set_time_limit_minutes(60);
    job_.mutable_spec()->set_name("myjob");
  }

  void Pending(const std::string& reason) {
    job_.set_state(v1::JOB_STATE_PENDING);
    job_.set_reason(reason);
  }

  // Running for `elapsed` seconds at kNow on `nodes`.
  void Running(int64_t elapsed, const std::vector<std::string>& nodes, const std::string& list) {
    job_.set_state(v1::JOB_STATE_RUNNING);
    job_.set_reason("None");
    job_.set_start_time(kNow - elapsed);
    for (const auto& n : nodes) job_.add_allocation()->set_node(n);
    job_.set_node_list(list);
  }

  std::string Field(char code) const { return SqueueField(job_, code, kNow); }

  v1::JobInfo job_;
};

// %t and %T print Slurm's compact and long names for every state.
TEST_F(SqueueFieldTest, StateCodesAndNames) {
  const struct {
    v1::JobState state;
    const char* code;
    const char* name;
  } kCases[] = {
      {v1::JOB_STATE_PENDING, "PD", "PENDING"},
      {v1::JOB_STATE_RUNNING, "R", "RUNNING"},
      {v1::JOB_STATE_COMPLETED, "CD", "COMPLETED"},
      {v1::JOB_STATE_FAILED, "F", "FAILED"},
      {v1::JOB_STATE_CANCELLED, "CA", "CANCELLED"},
      {v1::JOB_STATE_TIMEOUT, "TO", "TIMEOUT"},
      {v1::JOB_STATE_NODE_FAIL, "NF", "NODE_FAIL"},
      {v1::JOB_STATE_OUT_OF_MEMORY, "OOM", "OUT_OF_MEMORY"},
  };
  for (const auto& c : kCases) {
    job_.set_state(c.state);
    EXPECT_EQ(Field('t'), c.code) << c.name;
    EXPECT_EQ(Field('T'), c.name) << c.name;
  }
}

// %R of a pending job is its reason in parentheses.
TEST_F(SqueueFieldTest, ReasonOfPendingJob) {
  Pending("Resources");
  EXPECT_EQ(Field('R'), "(Resources)");
}

// %R of a running job is its node list.
TEST_F(SqueueFieldTest, NodeListOfRunningJob) {
  Running(5, {"node1", "node2"}, "node[1-2]");
  EXPECT_EQ(Field('R'), "node[1-2]");
}

// %R of a finished job with a reason shows the reason.
TEST_F(SqueueFieldTest, ReasonOfFailedJob) {
  Running(5, {"node1"}, "node1");
  job_.set_state(v1::JOB_STATE_FAILED);
  job_.set_reason("NonZeroExitCode");
  job_.set_end_time(kNow);
  EXPECT_EQ(Field('R'), "(NonZeroExitCode)");
}

// %M of a pending job is 0:00.
TEST_F(SqueueFieldTest, ElapsedOfPendingJobIsZero) {
  Pending("Priority");
  EXPECT_EQ(Field('M'), "0:00");
}

// %M of a running job counts from its start to `now`, M:SS under an hour.
TEST_F(SqueueFieldTest, ElapsedOfRunningJobMinutes) {
  Running(125, {"node1"}, "node1");
  EXPECT_EQ(Field('M'), "2:05");
}

// %M switches to H:MM:SS and D-HH:MM:SS.
TEST_F(SqueueFieldTest, ElapsedOfLongRunningJob) {
  Running(3 * 3600 + 4 * 60 + 5, {"node1"}, "node1");
  EXPECT_EQ(Field('M'), "3:04:05");
  job_.set_start_time(kNow - (2 * 86400 + 3600));
  EXPECT_EQ(Field('M'), "2-01:00:00");
}

// %M of a finished job stops at its end time.
TEST_F(SqueueFieldTest, ElapsedOfFinishedJobStopsAtEnd) {
  Running(600, {"node1"}, "node1");
  job_.set_state(v1::JOB_STATE_COMPLETED);
  job_.set_end_time(kNow - 300);
  EXPECT_EQ(Field('M'), "5:00");
}

// %l is the time limit; 0 means UNLIMITED.
TEST_F(SqueueFieldTest, TimeLimit) {
  EXPECT_EQ(Field('l'), "1:00:00");
  job_.set_time_limit_minutes(0);
  EXPECT_EQ(Field('l'), "UNLIMITED");
}

// %L is the limit minus the elapsed time.
TEST_F(SqueueFieldTest, TimeLeftOfRunningJob) {
  Running(600, {"node1"}, "node1");
  EXPECT_EQ(Field('L'), "50:00");
}

// %L of a pending job is the whole limit.
TEST_F(SqueueFieldTest, TimeLeftOfPendingJobIsWholeLimit) {
  Pending("Resources");
  EXPECT_EQ(Field('L'), "1:00:00");
}

// %L never goes negative; without a limit it is UNLIMITED.
TEST_F(SqueueFieldTest, TimeLeftClampsAndUnlimited) {
  Running(7200, {"node1"}, "node1");
  EXPECT_EQ(Field('L'), "0:00");
  job_.set_time_limit_minutes(0);
  EXPECT_EQ(Field('L'), "UNLIMITED");
}

// %D of a pending job is the requested minimum node count.
TEST_F(SqueueFieldTest, NodeCountOfPendingJobIsMinNodes) {
  Pending("Resources");
  job_.mutable_spec()->set_min_nodes(3);
  EXPECT_EQ(Field('D'), "3");
}

// %D of a pending job without -N is 1.
TEST_F(SqueueFieldTest, NodeCountDefaultsToOne) {
  Pending("Resources");
  EXPECT_EQ(Field('D'), "1");
}

// %D of a running job counts its allocated nodes.
TEST_F(SqueueFieldTest, NodeCountOfRunningJobIsAllocation) {
  job_.mutable_spec()->set_min_nodes(1);
  Running(5, {"node1", "node2", "node4"}, "node[1-2,4]");
  EXPECT_EQ(Field('D'), "3");
}

// Identity fields: %i, %j, %u, %P.
TEST_F(SqueueFieldTest, IdentityFields) {
  EXPECT_EQ(Field('i'), "42");
  EXPECT_EQ(Field('j'), "myjob");
  EXPECT_EQ(Field('u'), "alice");
  EXPECT_EQ(Field('P'), "batch");
}

// An unknown letter renders as empty text.
TEST_F(SqueueFieldTest, UnknownLetterIsEmpty) { EXPECT_EQ(Field('y'), ""); }

// A whole default-format line for a running job lines up under the header.
TEST_F(SqueueFieldTest, DefaultFormatLineOfRunningJob) {
  Running(65, {"node1"}, "node1");
  const auto line = Render(kSqueueDefaultFormat, [&](char c) { return Field(c); });
  EXPECT_EQ(line,
            "                42     batch    myjob    alice  R       1:05      1 node1");
}

// The no-width form used by Nextflow: "%i %t".
TEST_F(SqueueFieldTest, NextflowStatusLine) {
  Pending("Priority");
  EXPECT_EQ(Render("%i %t", [&](char c) { return Field(c); }), "42 PD");
}


// Array spellings (CONTRACT.md §8.4, SQ-5): an element is <id>_<idx>, the pending remainder
// <id>_[ranges%max]; %F and %K give the array id and the index.
TEST_F(SqueueFieldTest, ArrayJobIds) {
  EXPECT_EQ(Field('i'), std::to_string(job_.job_id()));
  job_.set_job_id(57);
  job_.set_array_job_id(50);
  job_.set_array_task_id(3);
  EXPECT_EQ(Field('i'), "50_3");
  EXPECT_EQ(JobIdText(job_), "50_3");
  EXPECT_EQ(Field('A'), "57");
  EXPECT_EQ(Field('F'), "50");
  EXPECT_EQ(Field('K'), "3");
  job_.set_job_id(50);
  job_.set_array_pending("4-9,11%2");
  EXPECT_EQ(Field('i'), "50_[4-9,11%2]");
  EXPECT_EQ(Field('K'), "4-9,11%2");
}

// sacct: an element's JobID is <array>_<idx> (also on its step rows), JobIDRaw its own id
// (CONTRACT.md §8.4, SA-3).
TEST(AcctRowsTest, ArrayElementIds) {
  v1::JobInfo job;
  job.set_job_id(57);
  job.set_array_job_id(50);
  job.set_array_task_id(3);
  job.set_state(v1::JOB_STATE_COMPLETED);
  job.set_start_time(1000);
  job.set_end_time(1010);
  job.add_allocation()->set_node("node1");
  auto fields = ParseAcctFields("JobID,JobIDRaw");
  ASSERT_TRUE(fields.ok());
  const auto rows = AcctRows(job, *fields, 2000, false);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"50_3", "57"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"50_3.batch", "57.batch"}));
  job.set_job_id(50);
  job.set_array_pending("4-9%2");
  job.set_state(v1::JOB_STATE_PENDING);
  job.set_start_time(0);
  EXPECT_EQ(AcctRows(job, *fields, 2000, false)[0][0], "50_[4-9%2]");
}

// "12" names a job or every element of array 12; "12_7" one element, or, while it has not
// started, its array's pending record.
TEST(NamedByTest, JobsElementsAndPendingRecords) {
  v1::JobInfo plain;
  plain.set_job_id(12);
  v1::JobInfo element;
  element.set_job_id(41);
  element.set_array_job_id(40);
  element.set_array_task_id(3);
  v1::JobInfo pending;
  pending.set_job_id(40);
  pending.set_array_job_id(40);
  pending.set_array_pending("4-6,9%2");
  EXPECT_TRUE(NamedBy(plain, "12"));
  EXPECT_FALSE(NamedBy(plain, "1"));
  EXPECT_FALSE(NamedBy(plain, "12_0"));
  EXPECT_TRUE(NamedBy(element, "40"));
  EXPECT_TRUE(NamedBy(element, "41"));
  EXPECT_TRUE(NamedBy(element, "40_3"));
  EXPECT_FALSE(NamedBy(element, "40_4"));
  EXPECT_TRUE(NamedBy(pending, "40"));
  EXPECT_TRUE(NamedBy(pending, "40_5"));
  EXPECT_TRUE(NamedBy(pending, "40_9"));
  EXPECT_TRUE(NamedBy(pending, "40_[4-6,9%2]"));
  EXPECT_FALSE(NamedBy(pending, "40_3"));
  EXPECT_FALSE(NamedBy(pending, "40_7"));
  EXPECT_FALSE(NamedBy(pending, "41_5"));
  EXPECT_FALSE(NamedBy(pending, "40_"));
  EXPECT_FALSE(NamedBy(pending, "40_x"));
  EXPECT_TRUE(PendingRecordHas(pending, 40, 6));
  EXPECT_FALSE(PendingRecordHas(element, 40, 3)) << "a started element is no pending record";
}

// Slurm gives a job cancelled while it waited a start time (its end), but no batch step and
// no CPUs: nothing ran.
TEST(AcctRowsTest, CancelledWhilePendingHasNoBatchStep) {
  v1::JobInfo job;
  job.set_job_id(35);
  job.set_cpus(4);
  job.set_state(v1::JOB_STATE_CANCELLED);
  job.set_start_time(1000);
  job.set_end_time(1000);
  auto fields = ParseAcctFields("JobID,AllocCPUS,NodeList");
  ASSERT_TRUE(fields.ok());
  auto rows = AcctRows(job, *fields, 2000, false);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"35", "0", "None assigned"}));

  job.set_start_time(990);
  auto* a = job.add_allocation();
  a->set_node("node1");
  a->set_cpus(4);
  job.set_node_list("node1");
  rows = AcctRows(job, *fields, 2000, false);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"35", "4", "node1"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"35.batch", "4", "node1"}));
}
// AppendJustified pads, truncates and right-justifies as Justify does.
TEST(FormatTest, AppendJustifiedMatchesJustify) {
  for (const char* text : {"", "ab", "abcdef"}) {
    for (int width : {-1, 0, 3, 8}) {
      for (bool right : {false, true}) {
        std::string out = "x";
        AppendJustified(&out, text, width, right);
        EXPECT_EQ(out, "x" + Justify(std::string(text), width, right)) << text << " " << width << " " << right;
      }
    }
  }
}

TEST(FormatTest, FormatCodesListsTheLettersInOrder) {
  EXPECT_EQ(FormatCodes(ParseFormat("%.18i %9P|%%%j lit")), "iPj");
  EXPECT_EQ(FormatCodes(ParseFormat("no fields")), "");
}

// The fast path of a listing prints every letter exactly as SqueueField does.
TEST(SqueueListingTest, AppendMatchesSqueueFieldForEveryLetter) {
  std::vector<v1::JobInfo> jobs(4);
  jobs[0].set_job_id(7);
  jobs[0].set_state(v1::JOB_STATE_PENDING);
  jobs[0].set_reason("Priority");
  jobs[0].set_user("alice");
  jobs[0].set_partition("debug");
  jobs[0].set_cpus(2);
  jobs[0].mutable_spec()->set_name("job");
  jobs[0].mutable_spec()->set_min_nodes(3);
  jobs[0].set_time_limit_minutes(90);
  jobs[1] = jobs[0];
  jobs[1].set_array_job_id(5);
  jobs[1].set_array_pending("2-9%2");
  jobs[2] = jobs[0];
  jobs[2].set_array_job_id(5);
  jobs[2].set_array_task_id(1);
  jobs[2].set_state(v1::JOB_STATE_RUNNING);
  jobs[2].set_start_time(1000);
  jobs[2].set_node_list("n[1-2]");
  jobs[2].add_allocation()->set_node("n1");
  jobs[2].add_allocation()->set_node("n2");
  jobs[3] = jobs[0];
  jobs[3].set_state(v1::JOB_STATE_FAILED);
  jobs[3].set_reason("NonZeroExitCode");
  jobs[3].set_end_time(1500);
  jobs[3].set_start_time(1000);
  for (const auto& job : jobs) {
    for (char c = '!'; c <= '~'; ++c) {
      std::string out = "<";
      AppendSqueueField(&out, job, c, 4000);
      EXPECT_EQ(out, "<" + SqueueField(job, c, 4000)) << "job " << job.job_id() << " letter " << c;
    }
  }
}

// A listing asks for the brief spec unless a letter needs more, for steps only with -s, and
// never for the usage.
TEST(SqueueListingTest, OmittableJobPartsFollowTheFormat) {
  const uint32_t all = v1::JOB_INFO_PART_SPEC_DETAIL | v1::JOB_INFO_PART_STEPS | v1::JOB_INFO_PART_USAGE;
  EXPECT_EQ(OmittableJobParts(FormatCodes(ParseFormat(kSqueueDefaultFormat)), false), all);
  EXPECT_EQ(OmittableJobParts("iPjuTMlDCR", false), all);
  EXPECT_EQ(OmittableJobParts("iakmcD", false), all);
  EXPECT_EQ(OmittableJobParts("iZ", false), all & ~uint32_t{v1::JOB_INFO_PART_SPEC_DETAIL});
  EXPECT_EQ(OmittableJobParts("i?", false), all & ~uint32_t{v1::JOB_INFO_PART_SPEC_DETAIL});
  EXPECT_EQ(OmittableJobParts("ijN", true), all & ~uint32_t{v1::JOB_INFO_PART_STEPS});
  EXPECT_EQ(OmittableJobParts("", false), all);
}

// A reply of many jobs parses onto an arena of mapped blocks, larger than its biggest block.
TEST(SqueueListingTest, ReplyArenaHoldsALargeReply) {
  v1::QueryJobsResponse sent;
  for (int i = 1; i <= 50000; ++i) {
    auto* job = sent.add_jobs();
    job->set_job_id(static_cast<uint64_t>(i));
    job->set_user("alice");
    job->mutable_spec()->set_name("job" + std::to_string(i));
  }
  const std::string wire = sent.SerializeAsString();
  google::protobuf::Arena arena(ReplyArenaOptions());
  auto* got = google::protobuf::Arena::CreateMessage<v1::QueryJobsResponse>(&arena);
  ASSERT_TRUE(got->ParseFromString(wire));
  ASSERT_EQ(got->jobs_size(), 50000);
  EXPECT_EQ(got->jobs(49999).spec().name(), "job50000");
  EXPECT_GT(arena.SpaceAllocated(), uint64_t{8} << 20);
}

}  // namespace
}  // namespace drover::cli

TEST(PriorityFieldTest, NumberAndFractionAsSlurmPrintsThem) {
  EXPECT_EQ(drover::cli::PriorityField('Q', 4294967295), "4294967295");
  EXPECT_EQ(drover::cli::PriorityField('p', 4294967295), "1.00000000000000");
  EXPECT_EQ(drover::cli::PriorityField('Q', 1000), "1000");
  EXPECT_EQ(drover::cli::PriorityField('p', 0), "0.00000000000000");
  // Nice can push a weighed priority below zero; Slurm's is unsigned, so it shows 0.
  EXPECT_EQ(drover::cli::PriorityField('Q', -5), "0");
}
