#include "cli/queue_table.h"

#include <ctime>
#include <string_view>

#include "cli/color.h"
#include "cli/job_fields.h"
#include "cli/job_table_view.h"
#include "cli/table.h"

namespace drover::cli {

std::string QueueTable(const v1::QueryJobsResponse& jobs, size_t width, bool header, bool color) {
  const std::string_view kCodes = kQueueTableCodes;
  std::vector<TableColumn> columns;
  for (char c : kCodes) {
    TableColumn col;
    col.header = SqueueHeader(c);
    col.right = c == 'i' || c == 'M' || c == 'l' || c == 'D' || c == 'C';
    col.shrink = c == 'P' || c == 'j' || c == 'u' || c == 'R';
    col.min_width = c == 'R' ? 10 : c == 'j' ? 8 : 5;
    // Too narrow even after cutting names: the time limit goes first, then CPUS, NODES, PARTITION.
    col.drop = c == 'l' ? 4 : c == 'C' ? 3 : c == 'D' ? 2 : c == 'P' ? 1 : 0;
    columns.push_back(col);
  }
  std::vector<std::vector<std::string>> rows;
  const int64_t now = time(nullptr);
  ForEachJob(jobs, [&](const v1::JobInfo& job) {
    std::vector<std::string> row;
    for (char c : kCodes) row.push_back(SqueueField(job, c, now));
    rows.push_back(std::move(row));
  });
  if (rows.empty()) return header ? "(no jobs)\n" : "";
  TableOptions options;
  options.width = width;
  options.header = header;
  if (color) {
    options.color = [](size_t column, const std::string& cell) -> std::string_view {
      return column == 4 ? StateColor(cell) : std::string_view();
    };
  }
  return RenderTable(columns, rows, options);
}

}  // namespace drover::cli
