#include "cli/directives.h"

#include <utility>

namespace drover::cli {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// The characters a backslash escapes inside double quotes (POSIX 2.2.3); before any other
// character the backslash is kept.
bool EscapableInDoubleQuotes(char c) { return c == '\\' || c == '"' || c == '$' || c == '`'; }

// The prefixes that mark a directive line, with the warning each one earns (empty: none).
struct Magic {
  std::string_view prefix;
  std::string_view warning;
};
constexpr Magic kMagics[] = {
    {"#SBATCH", ""},
    {"#DROVER", ""},
    {"#SLURM", "#SLURM directives are deprecated, use #SBATCH"},
};

// The magic word must be followed by whitespace or the end of the line, so that a comment such
// as "#SBATCHED by hand" is not mistaken for a directive.
const Magic* MatchMagic(std::string_view line) {
  for (const Magic& m : kMagics) {
    if (line.substr(0, m.prefix.size()) != m.prefix) continue;
    if (line.size() == m.prefix.size() || IsBlank(line[m.prefix.size()])) return &m;
  }
  return nullptr;
}

}  // namespace

Result<std::vector<std::string>> ShellSplit(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  // A word exists as soon as anything, even an empty pair of quotes, has been seen: `""` is
  // one empty word, as in a shell.
  bool in_word = false;
  size_t i = 0;
  auto finish_word = [&] {
    if (in_word) words.push_back(std::move(word));
    word.clear();
    in_word = false;
  };
  while (i < line.size()) {
    const char c = line[i];
    if (IsBlank(c) || c == '\n') {
      finish_word();
      ++i;
    } else if (c == '#' && !in_word) {
      break;
    } else if (c == '\\') {
      in_word = true;
      if (i + 1 < line.size()) {
        word.push_back(line[i + 1]);
        i += 2;
      } else {
        // Nothing left to escape (no line continuation here): keep the backslash itself.
        word.push_back('\\');
        ++i;
      }
    } else if (c == '\'') {
      const size_t close = line.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return Status::InvalidArgument("unterminated quote (the ' at column " +
                                       std::to_string(i + 1) + " is never closed)");
      }
      in_word = true;
      word.append(line.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '"') {
      const size_t open = i;
      in_word = true;
      ++i;
      bool closed = false;
      while (i < line.size()) {
        const char d = line[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < line.size() && EscapableInDoubleQuotes(line[i + 1])) {
          word.push_back(line[i + 1]);
          i += 2;
        } else {
          word.push_back(d);
          ++i;
        }
      }
      if (!closed) {
        return Status::InvalidArgument("unterminated quote (the \" at column " +
                                       std::to_string(open + 1) + " is never closed)");
      }
    } else {
      in_word = true;
      word.push_back(c);
      ++i;
    }
  }
  finish_word();
  return words;
}

Result<Directives> ExtractDirectives(std::string_view script) {
  Directives out;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < script.size()) {
    ++line_no;
    size_t end = script.find('\n', pos);
    if (end == std::string_view::npos) end = script.size();
    std::string_view line = script.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    size_t first = 0;
    while (first < line.size() && IsBlank(line[first])) ++first;
    if (first == line.size()) continue;
    // Like sbatch, the first command ends the header: directives below it are ordinary
    // comments, e.g. in a heredoc or a commented-out block in the body.
    if (line[first] != '#') break;

    // Only a magic word in the first column counts, as in sbatch: an indented "#SBATCH" is a
    // comment.
    const Magic* magic = MatchMagic(line);
    if (magic == nullptr) continue;
    const std::string prefix = "line " + std::to_string(line_no) + ": ";
    if (!magic->warning.empty()) out.warnings.push_back(prefix + std::string(magic->warning));
    auto words = ShellSplit(line.substr(magic->prefix.size()));
    if (!words.ok()) return words.status().WithContext("line " + std::to_string(line_no));
    for (std::string& w : *words) out.args.push_back(std::move(w));
  }
  return out;
}

}  // namespace drover::cli
