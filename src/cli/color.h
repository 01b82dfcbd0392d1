// Colour for the native commands' tables: whether to use it (https://no-color.org) and which
// colour a state gets. Pure: the caller passes what it knows about the terminal.
#pragma once

#include <string>
#include <string_view>

namespace drover::cli {

// Colour only on a terminal, never with --no-color, never when NO_COLOR is set to a non-empty
// value (no-color.org), never for TERM=dumb. `no_color_env` / `term` may be null (unset).
bool ShouldColor(bool no_color_flag, bool is_terminal, const char* no_color_env, const char* term);

// The ANSI SGR sequence for a job or node state in either spelling ("RUNNING", "R", "idle",
// "down*"): RUNNING/idle green, PENDING/mixed/allocated yellow, FAILED/TIMEOUT/NODE_FAIL/
// OUT_OF_MEMORY/down/drained red, CANCELLED magenta; "" for states shown plain (COMPLETED).
std::string_view StateColor(std::string_view state);

// `text` wrapped in `sgr` and a reset; `text` unchanged when `sgr` is empty.
std::string Paint(std::string_view text, std::string_view sgr);

}  // namespace drover::cli
