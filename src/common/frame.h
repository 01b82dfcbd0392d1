// Length-prefixed framing: a 4-byte big-endian length, then that many bytes of payload.
// FrameDecoder is pure (no I/O): feed it whatever a read returned, take whole frames out.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace drover {

inline constexpr uint32_t kDefaultMaxFrameBytes = 16u << 20;

// Prepends the 4-byte big-endian length. REQUIRES: payload.size() < 2^32.
std::string EncodeFrame(std::string_view payload);

class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame_bytes = kDefaultMaxFrameBytes)
      : max_(max_frame_bytes) {}

  void Feed(std::string_view bytes) { buffer_.append(bytes); }

  // The next whole frame's payload, nullopt if more bytes are needed, or ResourceExhausted
  // once a length header over the limit has been seen (the connection must then be closed;
  // the decoder stays in that error state).
  Result<std::optional<std::string>> Next();

  // Bytes held that do not yet form a whole frame.
  size_t buffered() const { return buffer_.size(); }

 private:
  uint32_t max_;
  std::string buffer_;
  bool failed_ = false;
};

}  // namespace drover
