#include "cli/node_update.h"

#include "cli/key_value.h"
#include "common/hostlist.h"
#include "common/text.h"

namespace drover::cli {
namespace {

Result<v1::NodeAction> ParseAction(const std::string& text) {
  const std::string s = AsciiLower(text);
  if (s == "drain") return v1::NODE_ACTION_DRAIN;
  if (s == "resume" || s == "undrain" || s == "idle") return v1::NODE_ACTION_RESUME;
  if (s == "down") return v1::NODE_ACTION_DOWN;
  return Status::InvalidArgument("invalid node state '" + text +
                                 "': use State=DRAIN, State=RESUME or State=DOWN");
}

Status Finish(v1::UpdateNodeRequest& r, const std::string& nodes) {
  if (nodes.empty()) {
    return Status::InvalidArgument("no node given: use NodeName=<hostlist>, e.g. NodeName=node[1-2]");
  }
  auto names = ExpandHostlist(nodes);
  if (!names.ok()) return names.status().WithContext("NodeName");
  for (const std::string& n : *names) r.add_nodes(n);
  if (r.action() == v1::NODE_ACTION_UNSPECIFIED) {
    return Status::InvalidArgument("no State= given: use State=DRAIN, State=RESUME or State=DOWN");
  }
  if (r.action() != v1::NODE_ACTION_RESUME && r.reason().empty()) {
    return Status::InvalidArgument("a reason is required to drain or down a node: add Reason=\"...\"");
  }
  return Status::Ok();
}

}  // namespace

Result<v1::UpdateNodeRequest> ParseNodeUpdate(const std::vector<std::string>& words) {
  auto pairs = ParseKeyValues(words, "quote a reason with spaces: Reason=\"fan failure\"");
  if (!pairs.ok()) return pairs.status();
  v1::UpdateNodeRequest r;
  std::string nodes;
  for (const auto& [key, name, value] : *pairs) {
    if (key == "nodename" || key == "nodenames") {
      nodes = value;
    } else if (key == "state") {
      auto action = ParseAction(value);
      if (!action.ok()) return action.status();
      r.set_action(*action);
    } else if (key == "reason") {
      r.set_reason(value);
    } else if (key == "jobid") {
      return Status::InvalidArgument("JobId= and NodeName= cannot be updated together");
    } else {
      return Status::InvalidArgument("unknown update key '" + name +
                                     "': use NodeName=, State= and Reason=");
    }
  }
  DROVER_RETURN_IF_ERROR(Finish(r, nodes));
  return r;
}

bool IsPartitionUpdate(const std::vector<std::string>& words) {
  if (words.empty()) return false;
  const std::string w = AsciiLower(words.front());
  return w.rfind("partitionname=", 0) == 0 || w == "partitionname";
}

Result<v1::UpdatePartitionRequest> ParsePartitionUpdate(const std::vector<std::string>& words) {
  auto pairs = ParseKeyValues(words, "");
  if (!pairs.ok()) return pairs.status();
  v1::UpdatePartitionRequest r;
  for (const auto& [key, name, value] : *pairs) {
    if (key == "partitionname") {
      r.set_name(value);
    } else if (key == "state") {
      const std::string s = AsciiLower(value);
      if (s != "up" && s != "down" && s != "drain" && s != "inactive") {
        return Status::InvalidArgument("invalid partition state '" + value +
                                       "': use State=UP, State=DOWN, State=DRAIN or State=INACTIVE");
      }
      r.set_state(value);
    } else {
      return Status::InvalidArgument("cannot update partition key '" + name +
                                     "' here: only State= (change the rest in drover.yaml and run scontrol "
                                     "reconfigure)");
    }
  }
  if (r.name().empty()) return Status::InvalidArgument("no partition given: use PartitionName=NAME");
  if (r.state().empty()) {
    return Status::InvalidArgument("nothing to update: use State=UP, State=DOWN, State=DRAIN or State=INACTIVE");
  }
  return r;
}

Result<v1::UpdateNodeRequest> ParseNodeVerb(const std::string& verb,
                                            const std::vector<std::string>& words) {
  v1::UpdateNodeRequest r;
  auto action = ParseAction(verb);
  if (!action.ok()) return action.status();
  r.set_action(*action);
  std::string reason;
  for (size_t i = 1; i < words.size(); ++i) reason += (i > 1 ? " " : "") + words[i];
  r.set_reason(reason);
  DROVER_RETURN_IF_ERROR(Finish(r, words.empty() ? "" : words[0]));
  return r;
}

}  // namespace drover::cli
