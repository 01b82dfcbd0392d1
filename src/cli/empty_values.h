// Refusing "--option=" with nothing after the "=" before CLI11 parses the words: CLI11 then
// takes the NEXT word as the value, so "sbatch --mem= --wrap true" ran "true" as a script file
// and "sbatch --nice= --wrap true" complained about "--wrap"; Slurm says the value is missing.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace drover::cli {

// Throws CLI::ArgumentMismatch ("--mem: needs a value after '='") for the first option of `app`
// written as "--name=" in `args`. With a prefix command (sbatch, srun) the scan ends at the
// first word that is neither an option nor an option's value: the rest is the script's.
void RefuseEmptyValues(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace drover::cli
