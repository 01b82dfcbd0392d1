// Small helpers the CLI commands share.
#pragma once

#include <string>
#include <vector>

namespace google::protobuf {
class Message;
}

namespace drover::cli {

// "a,b,,c" -> {"a", "b", "c"}: empty items are dropped.
std::vector<std::string> SplitList(const std::string& text);

// `text` as a JSON string literal, quotes included.
std::string JsonString(const std::string& text);

// The message as indented JSON with the .proto field names, for --json.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace drover::cli
