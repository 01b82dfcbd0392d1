#include "ctld/job_table.h"

namespace drover::ctld {

JobTableBuilder::JobTableBuilder(v1::JobTable* out, uint32_t columns) : out_(out), columns_(columns) {
  Intern("");  // index 0, so that an empty text is one byte
}

uint32_t JobTableBuilder::Intern(std::string_view text) {
  auto it = index_.find(text);
  if (it != index_.end()) return it->second;
  const auto index = static_cast<uint32_t>(out_->strings_size());
  std::string* stored = out_->add_strings();
  stored->assign(text.data(), text.size());
  index_.emplace(std::string_view(*stored), index);
  return index;
}

void JobTableBuilder::Add(const JobTableRow& row, bool redact) {
  v1::JobTable& t = *out_;
  t.add_job_id(row.job_id);
  t.add_array_job_id(row.array_job_id);
  t.add_array_task_id(row.array_task_id);
  t.add_array_pending(Intern(row.array_pending));
  t.add_state(row.state);
  if (Has(v1::JOB_TABLE_COLUMN_USER)) t.add_user(Intern(row.user));
  if (Has(v1::JOB_TABLE_COLUMN_UID_GID)) {
    t.add_uid(row.uid);
    t.add_gid(row.gid);
  }
  if (Has(v1::JOB_TABLE_COLUMN_NAME)) t.add_name(Intern(row.name));
  if (Has(v1::JOB_TABLE_COLUMN_ACCOUNT)) t.add_account(Intern(row.account));
  if (Has(v1::JOB_TABLE_COLUMN_COMMENT)) t.add_comment(redact ? 0 : Intern(row.comment));
  if (Has(v1::JOB_TABLE_COLUMN_PARTITION)) t.add_partition(Intern(row.partition));
  if (Has(v1::JOB_TABLE_COLUMN_REASON)) t.add_reason(Intern(row.reason));
  if (Has(v1::JOB_TABLE_COLUMN_NODE_LIST)) t.add_node_list(Intern(row.node_list));
  if (Has(v1::JOB_TABLE_COLUMN_RUN_TIMES)) {
    t.add_start_time(row.start_time);
    t.add_end_time(row.end_time);
  }
  if (Has(v1::JOB_TABLE_COLUMN_SUBMIT_TIME)) t.add_submit_time(row.submit_time);
  if (Has(v1::JOB_TABLE_COLUMN_EXPECTED_START)) t.add_expected_start(row.expected_start);
  if (Has(v1::JOB_TABLE_COLUMN_TIME_LIMIT)) t.add_time_limit_minutes(row.time_limit_minutes);
  if (Has(v1::JOB_TABLE_COLUMN_NODES)) t.add_nodes(row.nodes);
  if (Has(v1::JOB_TABLE_COLUMN_CPUS)) t.add_cpus(row.cpus);
  if (Has(v1::JOB_TABLE_COLUMN_CPUS_PER_TASK)) t.add_cpus_per_task(row.cpus_per_task);
  if (Has(v1::JOB_TABLE_COLUMN_MEMORY)) {
    t.add_mem_per_node_mb(row.mem_per_node_mb);
    t.add_mem_per_cpu_mb(row.mem_per_cpu_mb);
  }
}

}  // namespace drover::ctld
