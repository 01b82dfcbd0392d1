// Fuzzes FrameDecoder (common/frame.h) with arbitrary byte streams fed in arbitrary chunks.
//
// Input layout: byte 0 picks the chunk size (1..256 bytes per Feed), byte 1 picks the frame limit
// (odd: a small 64-byte limit so that the over-limit path is reachable; even: the default), the
// rest is the stream. Properties checked: the frames taken out, re-encoded, are exactly a prefix
// of the stream; an over-limit header is an error that sticks; without an error, the decoder holds
// exactly the bytes not yet returned.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t chunk = size_t{data[0]} + 1;
  const uint32_t max = (data[1] & 1) != 0 ? 64 : drover::kDefaultMaxFrameBytes;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  drover::FrameDecoder decoder(max);
  std::string reencoded;
  bool failed = false;
  for (size_t pos = 0; pos < stream.size() && !failed; pos += chunk) {
    decoder.Feed(stream.substr(pos, chunk));
    while (true) {
      auto next = decoder.Next();
      if (!next.ok()) {
        failed = true;
        // The error state sticks: a closed connection never yields another frame.
        if (decoder.Next().ok()) std::abort();
        break;
      }
      if (!next->has_value()) break;
      if ((*next)->size() > max) std::abort();
      reencoded += drover::EncodeFrame(**next);
    }
  }
  if (stream.substr(0, reencoded.size()) != reencoded) std::abort();
  if (!failed && reencoded.size() + decoder.buffered() != stream.size()) std::abort();
  return 0;
}
