// Options that sbatch and srun both take as text and turn into the same JobSpec fields:
// memory, time limit, node lists and constraints. Pure.
#pragma once

#include <string>

#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::cli {

struct SpecText {
  std::string mem;          // --mem
  std::string mem_per_cpu;  // --mem-per-cpu
  std::string time;         // --time
  std::string nodelist;     // --nodelist, a hostlist
  std::string exclude;      // --exclude, a hostlist
  std::string constraint;   // --constraint, features joined by ',' or '&'
};

// Sets the fields of `spec` that `text` gives; errors name the option.
Status ApplySpecText(const SpecText& text, v1::JobSpec* spec);

}  // namespace drover::cli
