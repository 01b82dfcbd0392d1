#include "cli/table.h"

#include <algorithm>

namespace drover::cli {
namespace {

constexpr size_t kGap = 2;
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // "…"

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;  // continuation bytes add no column
  }
  return n;
}

std::string Truncate(const std::string& text, size_t width) {
  if (DisplayWidth(text) <= width) return text;
  if (width == 0) return "";
  std::string out;
  size_t cols = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (cols + 1 == width) break;  // the last column is the ellipsis
      ++cols;
    }
    out += text[i];
  }
  return out + std::string(kEllipsis);
}

std::vector<size_t> FitWidths(const std::vector<TableColumn>& columns,
                              const std::vector<std::vector<std::string>>& rows, size_t width) {
  std::vector<size_t> natural(columns.size(), 0);
  for (size_t i = 0; i < columns.size(); ++i) natural[i] = std::max<size_t>(1, DisplayWidth(columns[i].header));
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < natural.size(); ++i) natural[i] = std::max(natural[i], DisplayWidth(row[i]));
  }
  if (width == 0 || columns.empty()) return natural;
  std::vector<bool> dropped(columns.size(), false);
  for (;;) {
    std::vector<size_t> widths = natural;
    size_t shown = 0, total = 0;
    for (size_t i = 0; i < widths.size(); ++i) {
      if (dropped[i]) widths[i] = 0;
      if (dropped[i]) continue;
      ++shown;
      total += widths[i];
    }
    total += kGap * (shown > 0 ? shown - 1 : 0);
    for (; total > width; --total) {
      size_t best = widths.size();
      for (size_t i = 0; i < widths.size(); ++i) {
        if (dropped[i] || !columns[i].shrink || widths[i] <= columns[i].min_width) continue;
        if (best == widths.size() || widths[i] > widths[best]) best = i;
      }
      if (best == widths.size()) break;
      --widths[best];
    }
    if (total <= width) return widths;
    size_t victim = columns.size();
    for (size_t i = 0; i < columns.size(); ++i) {
      if (dropped[i] || columns[i].drop <= 0) continue;
      if (victim == columns.size() || columns[i].drop > columns[victim].drop) victim = i;
    }
    if (victim == columns.size()) return widths;
    dropped[victim] = true;
  }
}

std::string RenderTable(const std::vector<TableColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows, const TableOptions& options) {
  const std::vector<size_t> widths = FitWidths(columns, rows, options.width);
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool is_header) {
    std::string text;
    size_t last_shown = 0;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (widths[i] > 0) last_shown = i;
    }
    for (size_t i = 0; i < columns.size(); ++i) {
      if (widths[i] == 0) continue;  // left out to fit the terminal
      const std::string cell = Truncate(i < cells.size() ? cells[i] : std::string(), widths[i]);
      const size_t pad = widths[i] - DisplayWidth(cell);
      const bool last = i == last_shown;
      std::string_view sgr;
      if (!is_header && options.color) sgr = options.color(i, i < cells.size() ? cells[i] : std::string());
      std::string painted = cell;
      if (!sgr.empty()) painted = std::string(sgr) + cell + "\033[0m";
      if (columns[i].right) {
        text += std::string(pad, ' ') + painted;
      } else {
        text += painted;
        if (!last) text += std::string(pad, ' ');
      }
      if (!last) text += std::string(kGap, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  if (options.header) {
    std::vector<std::string> header;
    for (const auto& c : columns) header.push_back(c.header);
    line(header, true);
  }
  for (const auto& row : rows) line(row, false);
  return out;
}

}  // namespace drover::cli
