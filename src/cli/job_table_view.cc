#include "cli/job_table_view.h"

#include <string>

namespace drover::cli {

std::optional<uint32_t> JobTableColumns(std::string_view codes) {
  uint32_t columns = 0;
  for (char c : codes) {
    switch (c) {
      case 'i': case 'A': case 'F': case 'K': case 't': case 'T': case 'Y': case 'q': case 'p': case 'Q':
        break;  // the ids and the state come with every table; the rest print constants
      case 'a': columns |= v1::JOB_TABLE_COLUMN_ACCOUNT; break;
      case 'j': case 'o': columns |= v1::JOB_TABLE_COLUMN_NAME; break;
      case 'u': columns |= v1::JOB_TABLE_COLUMN_USER; break;
      case 'U': case 'G': columns |= v1::JOB_TABLE_COLUMN_UID_GID; break;
      case 'M': case 'e': columns |= v1::JOB_TABLE_COLUMN_RUN_TIMES; break;
      case 'l': columns |= v1::JOB_TABLE_COLUMN_TIME_LIMIT; break;
      case 'L': columns |= v1::JOB_TABLE_COLUMN_TIME_LIMIT | v1::JOB_TABLE_COLUMN_RUN_TIMES; break;
      case 'D': columns |= v1::JOB_TABLE_COLUMN_NODES; break;
      case 'C': columns |= v1::JOB_TABLE_COLUMN_CPUS; break;
      case 'c': columns |= v1::JOB_TABLE_COLUMN_CPUS_PER_TASK; break;
      case 'm': columns |= v1::JOB_TABLE_COLUMN_MEMORY; break;
      case 'N': columns |= v1::JOB_TABLE_COLUMN_NODE_LIST; break;
      case 'P': columns |= v1::JOB_TABLE_COLUMN_PARTITION; break;
      case 'r': columns |= v1::JOB_TABLE_COLUMN_REASON; break;
      case 'R': columns |= v1::JOB_TABLE_COLUMN_REASON | v1::JOB_TABLE_COLUMN_NODE_LIST; break;
      case 'S': columns |= v1::JOB_TABLE_COLUMN_EXPECTED_START | v1::JOB_TABLE_COLUMN_RUN_TIMES; break;
      case 'V': columns |= v1::JOB_TABLE_COLUMN_SUBMIT_TIME; break;
      case 'k': columns |= v1::JOB_TABLE_COLUMN_COMMENT; break;
      default: return std::nullopt;
    }
  }
  return columns;
}

namespace {

template <typename Column>
bool Sized(const Column& column, int rows, bool wanted) {
  return wanted ? column.size() == rows : column.empty() || column.size() == rows;
}

template <typename Column>
bool TextsIn(const Column& column, int strings) {
  for (uint32_t index : column) {
    if (index >= static_cast<uint32_t>(strings)) return false;
  }
  return true;
}

}  // namespace

Status CheckJobTable(const v1::JobTable& t, uint32_t columns) {
  const int n = t.job_id_size();
  const auto want = [columns](v1::JobTableColumn c) { return (columns & c) != 0; };
  const bool sized =
      Sized(t.array_job_id(), n, true) && Sized(t.array_task_id(), n, true) && Sized(t.array_pending(), n, true) &&
      Sized(t.state(), n, true) && Sized(t.user(), n, want(v1::JOB_TABLE_COLUMN_USER)) &&
      Sized(t.uid(), n, want(v1::JOB_TABLE_COLUMN_UID_GID)) && Sized(t.gid(), n, want(v1::JOB_TABLE_COLUMN_UID_GID)) &&
      Sized(t.name(), n, want(v1::JOB_TABLE_COLUMN_NAME)) && Sized(t.account(), n, want(v1::JOB_TABLE_COLUMN_ACCOUNT)) &&
      Sized(t.comment(), n, want(v1::JOB_TABLE_COLUMN_COMMENT)) &&
      Sized(t.partition(), n, want(v1::JOB_TABLE_COLUMN_PARTITION)) &&
      Sized(t.reason(), n, want(v1::JOB_TABLE_COLUMN_REASON)) &&
      Sized(t.node_list(), n, want(v1::JOB_TABLE_COLUMN_NODE_LIST)) &&
      Sized(t.start_time(), n, want(v1::JOB_TABLE_COLUMN_RUN_TIMES)) &&
      Sized(t.end_time(), n, want(v1::JOB_TABLE_COLUMN_RUN_TIMES)) &&
      Sized(t.submit_time(), n, want(v1::JOB_TABLE_COLUMN_SUBMIT_TIME)) &&
      Sized(t.expected_start(), n, want(v1::JOB_TABLE_COLUMN_EXPECTED_START)) &&
      Sized(t.time_limit_minutes(), n, want(v1::JOB_TABLE_COLUMN_TIME_LIMIT)) &&
      Sized(t.nodes(), n, want(v1::JOB_TABLE_COLUMN_NODES)) && Sized(t.cpus(), n, want(v1::JOB_TABLE_COLUMN_CPUS)) &&
      Sized(t.cpus_per_task(), n, want(v1::JOB_TABLE_COLUMN_CPUS_PER_TASK)) &&
      Sized(t.mem_per_node_mb(), n, want(v1::JOB_TABLE_COLUMN_MEMORY)) &&
      Sized(t.mem_per_cpu_mb(), n, want(v1::JOB_TABLE_COLUMN_MEMORY));
  if (!sized) return Status::Internal("malformed job table in the controller's reply: a column has the wrong length");
  const int s = t.strings_size();
  for (const auto* column : {&t.array_pending(), &t.user(), &t.name(), &t.account(), &t.comment(), &t.partition(),
                             &t.reason(), &t.node_list()}) {
    if (!TextsIn(*column, s)) {
      return Status::Internal("malformed job table in the controller's reply: a text index is out of range");
    }
  }
  return Status::Ok();
}

void JobTableRowInto(const v1::JobTable& t, int i, v1::JobInfo* view) {
  const auto text = [&t](uint32_t index) -> const std::string& { return t.strings(static_cast<int>(index)); };
  view->set_job_id(t.job_id(i));
  view->set_array_job_id(t.array_job_id(i));
  view->set_array_task_id(t.array_task_id(i));
  view->set_array_pending(text(t.array_pending(i)));
  view->set_state(t.state(i));
  v1::JobSpec* spec = view->mutable_spec();
  if (!t.user().empty()) view->set_user(text(t.user(i)));
  if (!t.uid().empty()) view->set_uid(t.uid(i));
  if (!t.gid().empty()) view->set_gid(t.gid(i));
  if (!t.name().empty()) spec->set_name(text(t.name(i)));
  if (!t.account().empty()) spec->set_account(text(t.account(i)));
  if (!t.comment().empty()) spec->set_comment(text(t.comment(i)));
  if (!t.partition().empty()) view->set_partition(text(t.partition(i)));
  if (!t.reason().empty()) view->set_reason(text(t.reason(i)));
  if (!t.node_list().empty()) view->set_node_list(text(t.node_list(i)));
  if (!t.start_time().empty()) view->set_start_time(t.start_time(i));
  if (!t.end_time().empty()) view->set_end_time(t.end_time(i));
  if (!t.submit_time().empty()) view->set_submit_time(t.submit_time(i));
  if (!t.expected_start().empty()) view->set_expected_start(t.expected_start(i));
  if (!t.time_limit_minutes().empty()) view->set_time_limit_minutes(t.time_limit_minutes(i));
  // squeue's %D is the allocation's node count, else min_nodes: the table sends the count.
  if (!t.nodes().empty()) spec->set_min_nodes(t.nodes(i));
  if (!t.cpus().empty()) view->set_cpus(t.cpus(i));
  if (!t.cpus_per_task().empty()) spec->set_cpus_per_task(t.cpus_per_task(i));
  if (!t.mem_per_node_mb().empty()) spec->set_mem_per_node_mb(t.mem_per_node_mb(i));
  if (!t.mem_per_cpu_mb().empty()) spec->set_mem_per_cpu_mb(t.mem_per_cpu_mb(i));
}

void ForEachJob(const v1::QueryJobsResponse& reply, const std::function<void(const v1::JobInfo&)>& each) {
  for (const auto& job : reply.jobs()) each(job);
  if (!reply.has_table()) return;
  v1::JobInfo view;
  for (int i = 0; i < reply.table().job_id_size(); ++i) {
    JobTableRowInto(reply.table(), i, &view);
    each(view);
  }
}

}  // namespace drover::cli
