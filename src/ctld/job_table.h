// The jobs of a listing as columns (v1::JobTable): one pass over the jobs, no message per job,
// and each text (a user, a partition, a reason that 100,000 pending jobs share) sent once.
// Pure: the controller hands it each job's listed values.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "drover/v1/drover.pb.h"

namespace drover::ctld {

// What a listing shows of one job, in JobInfo's terms (views: valid for the call to Add).
struct JobTableRow {
  uint64_t job_id = 0;
  uint64_t array_job_id = 0;
  uint32_t array_task_id = 0;
  std::string_view array_pending;
  v1::JobState state = v1::JOB_STATE_PENDING;
  std::string_view user;
  uint32_t uid = 0, gid = 0;
  std::string_view name, account, comment, partition, reason, node_list;
  int64_t start_time = 0, end_time = 0, submit_time = 0, expected_start = 0;
  uint32_t time_limit_minutes = 0;  // 0 = unlimited
  uint32_t nodes = 0;               // the allocation's node count, else the spec's min_nodes
  uint32_t cpus = 0, cpus_per_task = 0;
  uint64_t mem_per_node_mb = 0, mem_per_cpu_mb = 0;
};

class JobTableBuilder {
 public:
  // `columns`: bits of v1::JobTableColumn; the ids and the state are always filled.
  JobTableBuilder(v1::JobTable* out, uint32_t columns);
  // `redact`: the asker sees that the job exists, not its comment (as authorization's Redact).
  void Add(const JobTableRow& row, bool redact);

 private:
  uint32_t Intern(std::string_view text);
  bool Has(v1::JobTableColumn c) const { return (columns_ & c) != 0; }

  v1::JobTable* out_;
  uint32_t columns_;
  // Keys view the strings in out_->strings(), whose elements never move.
  std::unordered_map<std::string_view, uint32_t> index_;
};

}  // namespace drover::ctld
