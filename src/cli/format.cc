#include "cli/format.h"

#include <cctype>

namespace drover::cli {

std::vector<FormatToken> ParseFormat(std::string_view format) {
  std::vector<FormatToken> tokens;
  FormatToken current;
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c != '%') {
      current.literal += c;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '%') {
      current.literal += '%';
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool right = false;
    if (j < format.size() && format[j] == '.') {
      right = true;
      ++j;
    }
    int width = -1;
    while (j < format.size() && std::isdigit(static_cast<unsigned char>(format[j]))) {
      width = (width < 0 ? 0 : width * 10) + (format[j] - '0');
      ++j;
    }
    if (j >= format.size()) {  // a dangling '%': keep it as text
      current.literal += std::string(format.substr(i));
      break;
    }
    current.code = format[j];
    current.right = right;
    current.width = width;
    tokens.push_back(current);
    current = FormatToken();
    i = j;
  }
  if (!current.literal.empty()) tokens.push_back(current);
  return tokens;
}

std::string Justify(const std::string& text, int width, bool right) {
  if (width < 0) return text;
  const size_t w = static_cast<size_t>(width);
  if (text.size() >= w) return text.substr(0, w);
  const std::string pad(w - text.size(), ' ');
  return right ? pad + text : text + pad;
}

void AppendJustified(std::string* out, std::string_view text, int width, bool right) {
  if (width < 0) {
    out->append(text);
    return;
  }
  const size_t w = static_cast<size_t>(width);
  if (text.size() >= w) {
    out->append(text.substr(0, w));
    return;
  }
  if (right) out->append(w - text.size(), ' ');
  out->append(text);
  if (!right) out->append(w - text.size(), ' ');
}

std::string FormatCodes(const std::vector<FormatToken>& tokens) {
  std::string codes;
  for (const auto& t : tokens) {
    if (t.code != 0) codes.push_back(t.code);
  }
  return codes;
}

std::string RenderLine(const std::vector<FormatToken>& tokens,
                       const std::function<std::string(char)>& value) {
  std::string out;
  for (const auto& t : tokens) {
    out += t.literal;
    if (t.code != 0) out += Justify(value(t.code), t.width, t.right);
  }
  return out;
}

}  // namespace drover::cli
