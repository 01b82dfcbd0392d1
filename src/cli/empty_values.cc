#include "cli/empty_values.h"

namespace drover::cli {

void RefuseEmptyValues(const CLI::App& app, const std::vector<std::string>& args) {
  const bool prefix = app.get_prefix_command();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return;
    if (a.size() < 2 || a[0] != '-') {
      if (prefix) return;
      continue;
    }
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const CLI::Option* opt = app.get_option_no_throw(name);
    if (opt == nullptr) continue;
    if (eq != std::string::npos && eq + 1 == a.size() && opt->get_expected_min() > 0) {
      throw CLI::ArgumentMismatch(name + ": needs a value after '='");
    }
    // "-o FILE" or "--output FILE": the next word is this option's value, not a positional.
    if (eq == std::string::npos && opt->get_expected_min() > 0 && (a[1] == '-' || a.size() == 2)) ++i;
  }
}

}  // namespace drover::cli
