// The `%` format mini-language of squeue and sinfo (CONTRACT.md §8.6): literal text and fields
// written %[.][width]<letter>. Without a width the value prints as is; "%10i" left-justifies,
// pads and truncates to 10 columns; "%.10i" right-justifies to 10. Pure.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::cli {

struct FormatToken {
  std::string literal;  // text before the field (or the whole token if code == 0)
  char code = 0;        // field letter; 0 for trailing literal text
  bool right = false;
  int width = -1;       // -1: no width
};

std::vector<FormatToken> ParseFormat(std::string_view format);

// Renders one line: `value(code)` gives each field's text.
std::string RenderLine(const std::vector<FormatToken>& tokens,
                       const std::function<std::string(char)>& value);

// Pads or truncates to a column as a field of `width` would (used for headers too).
std::string Justify(const std::string& text, int width, bool right);
// Justify, appended to `out`.
void AppendJustified(std::string* out, std::string_view text, int width, bool right);
// The field letters of `tokens`, in order.
std::string FormatCodes(const std::vector<FormatToken>& tokens);

}  // namespace drover::cli
