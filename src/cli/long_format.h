// squeue -O / sinfo -O ("--Format"): comma-separated `Name[:[.][size][suffix]]` fields, names
// case-insensitive (Slurm src/squeue/opts.c, src/sinfo/opts.c). Without ":" a field is 20
// columns, left-justified; ":N" sets the width (0 = as long as the value), ":.N" right-justifies,
// text after the size is printed after the field. Translated to the equivalent `%` format so
// one engine (cli/format.h) renders both. Pure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace drover::cli {

using LongNames = std::vector<std::pair<std::string, char>>;  // "JobID" -> 'A'

// squeue's and sinfo's names for the `%` letters drover knows.
const LongNames& SqueueLongNames();
const LongNames& SinfoLongNames();

// "JobID:10,Name,State:.8 " -> "%10A%20j%.8T ". Unknown names are an error that lists the
// known ones.
Result<std::string> LongFormatToPercent(std::string_view spec, const LongNames& names);

}  // namespace drover::cli
