#include "common/frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace drover {
namespace {

// Drains every whole frame the decoder holds; fails the test on a decoder error.
std::vector<std::string> Drain(FrameDecoder& decoder) {
  std::vector<std::string> frames;
  for (;;) {
    auto next = decoder.Next();
    EXPECT_TRUE(next.ok()) << next.status().message();
    if (!next.ok() || !next->has_value()) return frames;
    frames.push_back(std::move(**next));
  }
}

TEST(FrameTest, EncodePrependsBigEndianLength) {
  const std::string frame = EncodeFrame("abc");
  ASSERT_EQ(frame.size(), 7u);
  EXPECT_EQ(frame.substr(0, 4), std::string("\0\0\0\3", 4));
  EXPECT_EQ(frame.substr(4), "abc");

  const std::string big(0x010203, 'x');
  const std::string big_frame = EncodeFrame(big);
  EXPECT_EQ(big_frame.substr(0, 4), std::string("\x00\x01\x02\x03", 4));
}

TEST(FrameTest, RoundTrip) {
  FrameDecoder decoder;
  decoder.Feed(EncodeFrame("hello"));
  EXPECT_EQ(Drain(decoder), std::vector<std::string>{"hello"});
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameTest, ByteAtATime) {
  const std::string payload = std::string("binary\0payload\xff", 15);
  const std::string wire = EncodeFrame(payload) + EncodeFrame("second");
  FrameDecoder decoder;
  std::vector<std::string> frames;
  for (size_t i = 0; i < wire.size(); ++i) {
    decoder.Feed(wire.substr(i, 1));
    auto got = Drain(decoder);
    // A frame completes exactly with its last byte, never earlier.
    if (i + 1 == 4 + payload.size()) {
      ASSERT_EQ(got.size(), 1u) << "at byte " << i;
    } else if (i + 1 == wire.size()) {
      ASSERT_EQ(got.size(), 1u) << "at byte " << i;
    } else {
      ASSERT_TRUE(got.empty()) << "at byte " << i;
    }
    frames.insert(frames.end(), got.begin(), got.end());
  }
  EXPECT_EQ(frames, (std::vector<std::string>{payload, "second"}));
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameTest, SeveralFramesInOneFeed) {
  FrameDecoder decoder;
  decoder.Feed(EncodeFrame("one") + EncodeFrame("two") + EncodeFrame("three") +
               std::string("\0\0", 2));
  EXPECT_EQ(Drain(decoder), (std::vector<std::string>{"one", "two", "three"}));
  // The trailing partial header stays for the next feed.
  EXPECT_EQ(decoder.buffered(), 2u);
  decoder.Feed(std::string("\0\1z", 3));
  EXPECT_EQ(Drain(decoder), std::vector<std::string>{"z"});
}

TEST(FrameTest, ZeroLengthFrame) {
  FrameDecoder decoder;
  decoder.Feed(EncodeFrame("") + EncodeFrame("after"));
  EXPECT_EQ(Drain(decoder), (std::vector<std::string>{"", "after"}));
}

TEST(FrameTest, IncompleteFrameWaits) {
  FrameDecoder decoder;
  const std::string wire = EncodeFrame("payload");
  decoder.Feed(wire.substr(0, wire.size() - 1));
  EXPECT_TRUE(Drain(decoder).empty());
  EXPECT_EQ(decoder.buffered(), wire.size() - 1);
}

TEST(FrameTest, OversizedHeaderFailsAndStaysFailed) {
  FrameDecoder decoder(10);
  // Only the header is needed to refuse: the payload is never waited for.
  decoder.Feed(std::string("\0\0\0\x0b", 4));
  auto first = decoder.Next();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(first.status().message().find("11"), std::string::npos) << first.status().message();

  decoder.Feed(EncodeFrame("ok"));
  auto second = decoder.Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kResourceExhausted);
}

TEST(FrameTest, HugeLengthHeaderRejectedByDefaultLimit) {
  FrameDecoder decoder;
  decoder.Feed(std::string("\xff\xff\xff\xff", 4));
  auto next = decoder.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kResourceExhausted);
}

TEST(FrameTest, ExactlyAtLimitIsAccepted) {
  FrameDecoder decoder(10);
  const std::string payload(10, 'p');
  decoder.Feed(EncodeFrame(payload));
  EXPECT_EQ(Drain(decoder), std::vector<std::string>{payload});
}

// A frame of megabytes in 16 KiB reads (a listing of 100,000 jobs), then a small one: both
// whole, in order, and nothing left over.
TEST(FrameTest, LargeFrameInManyReadsThenAnother) {
  std::string payload(3 << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
  const std::string wire = EncodeFrame(payload) + EncodeFrame("next");
  FrameDecoder decoder;
  std::vector<std::string> frames;
  for (size_t i = 0; i < wire.size(); i += 16384) {
    decoder.Feed(std::string_view(wire).substr(i, 16384));
    for (auto& f : Drain(decoder)) frames.push_back(std::move(f));
  }
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0] == payload);
  EXPECT_EQ(frames[1], "next");
  EXPECT_EQ(decoder.buffered(), 0u);
}

}  // namespace
}  // namespace drover
