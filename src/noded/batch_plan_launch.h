// noded's side of the batch plan (batch_plan.h): the LaunchJobRequest turned into what the
// supervisor needs, output patterns expanded and the environment built here, so the supervisor
// links no protobuf.
#pragma once

#include <string>

#include "drover/v1/drover.pb.h"
#include "noded/batch_plan.h"

namespace drover::noded {

// `node` is this node's name, `spool` noded's spool directory (where the script is).
BatchPlan MakeBatchPlan(const v1::LaunchJobRequest& launch, const std::string& node, const std::string& spool);

}  // namespace drover::noded
