// The words of `scontrol update NodeName=node[1-2] State=DRAIN Reason="fan failure"` (and of
// `drover control drain|resume|down NODES [REASON...]`) turned into a request. Pure.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::cli {

// `words` are what follows `update`: KEY=VALUE pairs, keys case-insensitive (NodeName or
// NodeNames, State, Reason). State is DRAIN, RESUME (or UNDRAIN, IDLE) or DOWN.
Result<v1::UpdateNodeRequest> ParseNodeUpdate(const std::vector<std::string>& words);

// `words` follow `update` and start with PartitionName=NAME: then State=UP|DOWN|DRAIN|INACTIVE
// (any case), the one partition setting that can change without editing drover.yaml.
Result<v1::UpdatePartitionRequest> ParsePartitionUpdate(const std::vector<std::string>& words);
// Whether `words` (what follows `update`) name a partition.
bool IsPartitionUpdate(const std::vector<std::string>& words);

// `verb` is drain, resume or down; `words` are a hostlist and then the reason.
Result<v1::UpdateNodeRequest> ParseNodeVerb(const std::string& verb,
                                            const std::vector<std::string>& words);

}  // namespace drover::cli
