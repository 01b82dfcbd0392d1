#include "common/frame.h"

namespace drover {

std::string EncodeFrame(std::string_view payload) {
  const auto n = static_cast<uint32_t>(payload.size());
  std::string out;
  out.reserve(4 + payload.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(payload);
  return out;
}

Result<std::optional<std::string>> FrameDecoder::Next() {
  if (failed_) return Status::ResourceExhausted("frame over the size limit");
  if (buffer_.size() < 4) return std::optional<std::string>();
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data());
  const uint32_t n = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  if (n > max_) {
    failed_ = true;
    buffer_.clear();
    return Status::ResourceExhausted("frame of " + std::to_string(n) + " bytes exceeds the limit of " +
                                     std::to_string(max_) + " bytes");
  }
  if (buffer_.size() - 4 < n) {
    // A large frame arrives in many reads: room for all of it at once, not a copy per doubling
    // (once the peer has sent a good part: a bare header reserves nothing).
    if (buffer_.size() >= (64u << 10)) buffer_.reserve(4 + size_t{n});
    return std::optional<std::string>();
  }
  if (buffer_.size() == 4 + size_t{n}) {  // the usual case: the buffer is this frame, taken whole
    std::string payload = std::move(buffer_);
    buffer_.clear();
    payload.erase(0, 4);
    return std::optional<std::string>(std::move(payload));
  }
  std::string payload = buffer_.substr(4, n);
  buffer_.erase(0, 4 + size_t{n});
  return std::optional<std::string>(std::move(payload));
}

}  // namespace drover
