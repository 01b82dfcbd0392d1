#include "cli/reply_arena.h"

#include <sys/mman.h>

#include <new>

namespace drover::cli {
namespace {

void* MapBlock(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

void UnmapBlock(void* p, size_t size) { munmap(p, size); }

}  // namespace

google::protobuf::ArenaOptions ReplyArenaOptions() {
  google::protobuf::ArenaOptions o;
  o.start_block_size = 256 << 10;
  o.max_block_size = 8 << 20;
  o.block_alloc = MapBlock;
  o.block_dealloc = UnmapBlock;
  return o;
}

}  // namespace drover::cli
