// A listing answered as a table (ctld's JobTableBuilder, the CLI's view of its rows) prints
// exactly what the same jobs as JobInfo rows print.
#include "cli/job_table_view.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/job_fields.h"
#include "ctld/job_table.h"

namespace drover::cli {
namespace {

// The letters a table covers (every letter squeue knows but %B and %Z).
constexpr std::string_view kTableLetters = "iAFKajuUGtTMlLDCcmNPrRSYVekoqpQ";

std::vector<v1::JobInfo> Jobs() {
  std::vector<v1::JobInfo> jobs(6);
  jobs[0].set_job_id(7);
  jobs[0].set_state(v1::JOB_STATE_PENDING);
  jobs[0].set_reason("Priority");
  jobs[0].set_user("alice");
  jobs[0].set_uid(1000);
  jobs[0].set_gid(100);
  jobs[0].set_partition("debug");
  jobs[0].set_cpus(2);
  jobs[0].set_submit_time(900);
  jobs[0].set_expected_start(5000);
  jobs[0].mutable_spec()->set_name("job");
  jobs[0].mutable_spec()->set_min_nodes(3);
  jobs[0].mutable_spec()->set_account("physics");
  jobs[0].mutable_spec()->set_comment("note");
  jobs[0].mutable_spec()->set_mem_per_cpu_mb(512);
  jobs[0].mutable_spec()->set_cpus_per_task(2);
  jobs[0].set_time_limit_minutes(90);
  jobs[1] = jobs[0];
  jobs[1].set_job_id(5);
  jobs[1].set_array_job_id(5);
  jobs[1].set_array_pending("2-9%2");
  jobs[2] = jobs[0];
  jobs[2].set_job_id(8);
  jobs[2].set_array_job_id(5);
  jobs[2].set_array_task_id(1);
  jobs[2].set_state(v1::JOB_STATE_RUNNING);
  jobs[2].set_start_time(1000);
  jobs[2].set_expected_start(0);
  jobs[2].set_node_list("n[1-2]");
  jobs[2].add_allocation()->set_node("n1");
  jobs[2].add_allocation()->set_node("n2");
  jobs[3] = jobs[0];
  jobs[3].set_job_id(9);
  jobs[3].set_state(v1::JOB_STATE_FAILED);
  jobs[3].set_reason("NonZeroExitCode");
  jobs[3].set_end_time(1500);
  jobs[3].set_start_time(1000);
  jobs[3].set_expected_start(0);
  jobs[3].mutable_spec()->clear_mem_per_cpu_mb();
  jobs[3].mutable_spec()->set_mem_per_node_mb(2048);
  jobs[4].set_job_id(10);  // everything empty or zero
  jobs[4].set_state(v1::JOB_STATE_PENDING);
  jobs[5] = jobs[2];
  jobs[5].set_job_id(11);
  jobs[5].set_user("bob");
  jobs[5].set_time_limit_minutes(0);
  jobs[5].mutable_spec()->clear_account();
  return jobs;
}

// What ctld would put in the table for `j` (the controller test checks this against JobInfo).
ctld::JobTableRow RowOf(const v1::JobInfo& j) {
  ctld::JobTableRow r;
  r.job_id = j.job_id();
  r.array_job_id = j.array_job_id();
  r.array_task_id = j.array_task_id();
  r.array_pending = j.array_pending();
  r.state = j.state();
  r.user = j.user();
  r.uid = j.uid();
  r.gid = j.gid();
  r.name = j.spec().name();
  r.account = j.spec().account();
  r.comment = j.spec().comment();
  r.partition = j.partition();
  r.reason = j.reason();
  r.node_list = j.node_list();
  r.start_time = j.start_time();
  r.end_time = j.end_time();
  r.submit_time = j.submit_time();
  r.expected_start = j.expected_start();
  r.time_limit_minutes = j.time_limit_minutes();
  r.nodes = j.allocation_size() ? static_cast<uint32_t>(j.allocation_size()) : j.spec().min_nodes();
  r.cpus = j.cpus();
  r.cpus_per_task = j.spec().cpus_per_task();
  r.mem_per_node_mb = j.spec().mem_per_node_mb();
  r.mem_per_cpu_mb = j.spec().mem_per_cpu_mb();
  return r;
}

v1::QueryJobsResponse TableReply(const std::vector<v1::JobInfo>& jobs, uint32_t columns) {
  v1::QueryJobsResponse reply;
  ctld::JobTableBuilder builder(reply.mutable_table(), columns);
  for (const auto& j : jobs) builder.Add(RowOf(j), false);
  return reply;
}

TEST(JobTableViewTest, EveryLetterPrintsAsFromJobInfo) {
  const auto jobs = Jobs();
  for (char c : kTableLetters) {
    const auto columns = JobTableColumns(std::string(1, c));
    ASSERT_TRUE(columns.has_value()) << c;
    const auto reply = TableReply(jobs, *columns);
    ASSERT_TRUE(CheckJobTable(reply.table(), *columns).ok()) << c;
    size_t row = 0;
    ForEachJob(reply, [&](const v1::JobInfo& view) {
      ASSERT_LT(row, jobs.size());
      std::string got, want;
      AppendSqueueField(&got, view, c, 4000);
      AppendSqueueField(&want, jobs[row], c, 4000);
      EXPECT_EQ(got, want) << "job " << jobs[row].job_id() << " letter " << c;
      EXPECT_EQ(SqueueField(view, c, 4000), SqueueField(jobs[row], c, 4000));
      ++row;
    });
    EXPECT_EQ(row, jobs.size());
  }
}

TEST(JobTableViewTest, RepeatedTextsAreSentOnce) {
  std::vector<v1::JobInfo> jobs(1000, Jobs()[0]);
  const auto columns = JobTableColumns("iPjutMDR");  // squeue's default format
  ASSERT_TRUE(columns.has_value());
  const auto reply = TableReply(jobs, *columns);
  // "", the user, the partition, the name, the reason.
  EXPECT_EQ(reply.table().strings_size(), 5);
  EXPECT_EQ(reply.table().account_size(), 0) << "a column the format does not show is not sent";
}

TEST(JobTableViewTest, JobInfoRowsStillPrint) {
  v1::QueryJobsResponse old;  // a ctld that predates tables
  for (const auto& j : Jobs()) *old.add_jobs() = j;
  std::vector<uint64_t> ids;
  ForEachJob(old, [&](const v1::JobInfo& j) { ids.push_back(j.job_id()); });
  EXPECT_EQ(ids, (std::vector<uint64_t>{7, 5, 8, 9, 10, 11}));
}

TEST(JobTableViewTest, ColumnsFollowTheLetters) {
  EXPECT_EQ(JobTableColumns("iAtT"), 0u);
  EXPECT_EQ(JobTableColumns("u"), uint32_t{v1::JOB_TABLE_COLUMN_USER});
  EXPECT_EQ(JobTableColumns("R"), uint32_t{v1::JOB_TABLE_COLUMN_REASON | v1::JOB_TABLE_COLUMN_NODE_LIST});
  EXPECT_FALSE(JobTableColumns("iB").has_value()) << "%B needs the allocation";
  EXPECT_FALSE(JobTableColumns("iZ").has_value()) << "%Z needs the whole spec";
  EXPECT_FALSE(JobTableColumns("i?").has_value());
}

TEST(JobTableViewTest, MalformedTablesAreRefused) {
  const uint32_t columns = *JobTableColumns("iuR");
  auto reply = TableReply(Jobs(), columns);
  EXPECT_TRUE(CheckJobTable(reply.table(), columns).ok());
  auto short_column = reply.table();
  short_column.mutable_user()->RemoveLast();
  EXPECT_FALSE(CheckJobTable(short_column, columns).ok());
  auto missing = reply.table();
  missing.clear_reason();
  EXPECT_FALSE(CheckJobTable(missing, columns).ok()) << "a column asked for and not sent";
  auto bad_index = reply.table();
  bad_index.set_user(0, 999);
  const Status s = CheckJobTable(bad_index, columns);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("malformed"), std::string::npos);
}

TEST(JobTableViewTest, RedactedRowsHaveNoComment) {
  v1::JobTable table;
  ctld::JobTableBuilder builder(&table, v1::JOB_TABLE_COLUMN_COMMENT);
  const auto jobs = Jobs();
  builder.Add(RowOf(jobs[0]), true);
  builder.Add(RowOf(jobs[0]), false);
  EXPECT_EQ(table.strings(static_cast<int>(table.comment(0))), "");
  EXPECT_EQ(table.strings(static_cast<int>(table.comment(1))), "note");
}

}  // namespace
}  // namespace drover::cli
