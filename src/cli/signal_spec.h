// Signal names and sbatch's --signal=[{R|B}:]SIG[@TIME]. Pure.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace drover::cli {

// "USR1", "SIGUSR1", "usr1", "10" -> 10; anything else is an error that names the accepted forms.
Result<int> ParseSignal(std::string text);

struct WarnSignal {
  int signal = 0;
  uint32_t time_s = 60;     // Slurm's default when no @TIME is given
  bool batch_only = false;  // B:
  bool reservation = false; // R: (accepted; drover has no reservations with MaxStartDelay)
};

// sbatch --signal: "USR2", "USR2@90", "B:USR2@30", "R:10@120", "RB:TERM" (flags in any case
// and order, as Slurm's get_signal_opts takes them); TIME is 0..65535 seconds.
Result<WarnSignal> ParseWarnSignal(const std::string& text);

}  // namespace drover::cli
