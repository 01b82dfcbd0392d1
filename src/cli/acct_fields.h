// sacct's fields and row layout (CONTRACT.md §8.4-§8.6, §9.4). Pure: rows are computed from
// JobInfo values, and rendering is plain text.
#pragma once

#include <string>
#include <vector>

#include "cli/table.h"
#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::cli {

struct AcctField {
  std::string name;  // canonical spelling, e.g. "JobID"
  int width = 10;
};

// "jobid,State%20,exitcode" -> fields; names are case-insensitive. InvalidArgument naming an
// unknown field.
Result<std::vector<AcctField>> ParseAcctFields(const std::string& list);
inline constexpr const char* kAcctDefaultFields = "JobID,JobName,Partition,Account,AllocCPUS,State,ExitCode";
inline constexpr const char* kAcctBriefFields = "JobID,State,ExitCode";

// One job row, then its step rows (<id>.batch once the script started). Each row is a list of
// values in the order of `fields`.
std::vector<std::vector<std::string>> AcctRows(const v1::JobInfo& job, const std::vector<AcctField>& fields,
                                               int64_t now, bool cancelled_by_uid);

// drover acct's table (cli/table.h, fitted to the terminal): names, node lists, reasons and
// paths may shrink, counts are right-justified.
std::vector<TableColumn> AcctTableColumns(const std::vector<AcctField>& fields);

enum class AcctLayout { kTable, kParsable, kParsable2 };
std::string RenderAcct(const std::vector<AcctField>& fields, const std::vector<std::vector<std::string>>& rows,
                       AcctLayout layout, bool header);

// "2026-11-29", "2026-11-29T10:00[:00]", "10:00[:00]" (today), "now", "now-2hours",
// "now+30minutes", "midnight", "today", "tomorrow", or Unix seconds -> Unix seconds (local
// time). sbatch --begin shares it.
Result<int64_t> ParseAcctTime(const std::string& text, int64_t now);
// sbatch --begin: the same forms, but a time of day already past today means tomorrow (as
// Slurm's parse_time does).
Result<int64_t> ParseBeginTime(const std::string& text, int64_t now);

}  // namespace drover::cli
