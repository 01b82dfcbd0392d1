// Tables of the native commands (drover queue, drover info): columns sized to their contents
// and, on a terminal, fitted to its width by shrinking the columns that may shrink (names,
// node lists, reasons) and cutting their cells with "…". Pure: the width and the colouring
// are parameters, so piped output (width 0) is never cut.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::cli {

struct TableColumn {
  std::string header;
  bool right = false;       // right-justified (numbers, ids)
  bool shrink = false;      // may be narrowed to fit the terminal
  size_t min_width = 6;     // a shrinking column keeps at least this many columns
  int drop = 0;             // >0: left out when even the shrunk table is too wide, highest first
};

struct TableOptions {
  size_t width = 0;         // terminal width; 0: unlimited (not a terminal)
  bool header = true;
  // The SGR sequence for a cell (column index, text), or "" for none; null: no colour.
  std::function<std::string_view(size_t, const std::string&)> color;
};

// Display width of UTF-8 text (code points; the CLI prints no wide characters).
size_t DisplayWidth(std::string_view text);

// `text` cut to at most `width` columns, ending in "…" when cut.
std::string Truncate(const std::string& text, size_t width);

// The column widths RenderTable uses: natural widths, then, if `width` is set and the table
// is wider, the widest shrinking column narrowed one column at a time until it fits; if no
// column can narrow further, the column with the highest `drop` is left out (width 0) and
// the fitting starts again. Without droppable columns left the lines stay wider.
std::vector<size_t> FitWidths(const std::vector<TableColumn>& columns,
                              const std::vector<std::vector<std::string>>& rows, size_t width);

// The table, one line per row (and the header first), columns two spaces apart, no
// trailing spaces.
std::string RenderTable(const std::vector<TableColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows, const TableOptions& options);

}  // namespace drover::cli
