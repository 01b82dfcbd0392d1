// Arena options for parsing replies of many messages (squeue over 100,000 jobs).
#pragma once

#include <google/protobuf/arena.h>

namespace drover::cli {

// Large blocks, each mapped with its pages already in place (MAP_POPULATE): on a
// paravirtualized VM a page fault per 4 KiB of fresh memory was a third of squeue's time.
google::protobuf::ArenaOptions ReplyArenaOptions();

}  // namespace drover::cli
