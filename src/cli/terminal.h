// What the native commands need to know about their terminal: whether a stream is one, how
// wide it is, and Ctrl-C for the loops that repeat until interrupted (queue --watch,
// squeue -i, submit --wait).
#pragma once

#include <cstddef>

namespace drover::cli {

bool IsTerminal(int fd);

// Columns to fit output on `fd` to: 0 (unlimited) when it is not a terminal, so piped output
// is never cut; else the terminal's width, else $COLUMNS, else 80.
size_t OutputWidth(int fd);

// The rule OutputWidth applies, pure: `ioctl_columns` is 0 when the ioctl failed.
size_t ChooseWidth(bool is_terminal, size_t ioctl_columns, const char* columns_env);

// From now on SIGINT and SIGTERM set a flag instead of ending the process.
void CatchInterrupts();
bool Interrupted();

// Sleeps up to `seconds`; false as soon as an interrupt came (true after a full sleep).
bool SleepUnlessInterrupted(double seconds);

}  // namespace drover::cli
