// ASCII case helpers for keywords (option values, field names, state names). Pure; not for
// user text in other scripts, which has no ASCII case.
#pragma once

#include <string>
#include <string_view>

namespace drover {

std::string AsciiLower(std::string_view s);
std::string AsciiUpper(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace drover
