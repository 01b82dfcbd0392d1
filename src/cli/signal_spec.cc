#include "cli/signal_spec.h"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>

#include "common/text.h"

namespace drover::cli {

Result<int> ParseSignal(std::string text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
    const int n = text.size() <= 3 ? std::stoi(text) : 0;
    if (n > 0 && n < NSIG) return n;
    return Status::InvalidArgument("invalid signal number " + text);
  }
  const std::string given = text;
  text = AsciiUpper(text);
  if (text.rfind("SIG", 0) == 0) text = text.substr(3);
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && text == abbrev) return sig;
  }
  return Status::InvalidArgument("unknown signal '" + given +
                                 "': use a name such as USR1, TERM or KILL, or a number");
}

Result<WarnSignal> ParseWarnSignal(const std::string& text) {
  const auto usage = [&](const std::string& why) {
    return Status::InvalidArgument("invalid --signal '" + text + "': " + why +
                                   "; use [{R|B}:]SIGNAL[@SECONDS], e.g. USR1, B:USR2@30, TERM@120");
  };
  WarnSignal w;
  std::string rest = text;
  if (const auto colon = rest.find(':'); colon != std::string::npos) {
    const std::string flags = AsciiUpper(rest.substr(0, colon));
    if (flags.empty() || flags.size() > 2) return usage("the part before ':' must be R, B or RB");
    for (char f : flags) {
      if (f == 'B') w.batch_only = true;
      else if (f == 'R') w.reservation = true;
      else return usage("the part before ':' must be R, B or RB");
    }
    rest = rest.substr(colon + 1);
  }
  if (const auto at = rest.find('@'); at != std::string::npos) {
    const std::string secs = rest.substr(at + 1);
    if (secs.empty() || secs.size() > 5 || !std::all_of(secs.begin(), secs.end(), ::isdigit)) {
      return usage("the time after '@' must be whole seconds");
    }
    const unsigned long n = std::stoul(secs);
    if (n > 65535) return usage("the time after '@' must be 0 to 65535 seconds");
    w.time_s = static_cast<uint32_t>(n);
    rest = rest.substr(0, at);
  }
  if (rest.empty()) return usage("no signal given");
  auto sig = ParseSignal(rest);
  if (!sig.ok()) return usage(sig.status().message());
  w.signal = *sig;
  return w;
}

}  // namespace drover::cli
