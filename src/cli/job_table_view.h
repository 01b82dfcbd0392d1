// Reading a listing answered as columns (v1::JobTable, QueryJobsRequest.table): which columns
// squeue's letters need, whether a table is well formed, and its rows as JobInfo views, so
// that every letter prints through the same code (job_fields.h) whichever way the reply came.
// Pure.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::cli {

// The v1::JobTableColumn bits that squeue's field letters `codes` need; nullopt when a letter
// is not in a table (e.g. %B, %Z, or one drover does not know): then the listing asks for
// JobInfo rows.
std::optional<uint32_t> JobTableColumns(std::string_view codes);

// Whether `table` can be read for `columns`: every column asked for (and the ids and state)
// has a value per row, and every text index is in `strings`.
Status CheckJobTable(const v1::JobTable& table, uint32_t columns);

// Row `row` of a checked `table` written into `view`: the fields of the table's columns are
// set, the others left as they were (reuse one view for every row, without allocating).
void JobTableRowInto(const v1::JobTable& table, int row, v1::JobInfo* view);

// Each job of a reply, in order: its JobInfo rows, or the rows of its table (checked) seen
// through one reused view.
void ForEachJob(const v1::QueryJobsResponse& reply, const std::function<void(const v1::JobInfo&)>& each);

}  // namespace drover::cli
