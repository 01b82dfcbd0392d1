#include "ctld/name_cache.h"

#include <gtest/gtest.h>

namespace drover::ctld {
namespace {

TEST(NameCacheTest, LooksUpOnceWithinTheTtlAndAgainAfter) {
  int calls = 0;
  std::string current = "alice";
  NameCache cache([&](uint32_t) { ++calls; return current; }, std::chrono::seconds(60));
  FakeClock clock;
  EXPECT_EQ(cache.Get(1000, clock.MonotonicNow()), "alice");
  current = "alice2";  // renamed
  clock.Advance(std::chrono::seconds(59));
  EXPECT_EQ(cache.Get(1000, clock.MonotonicNow()), "alice");
  EXPECT_EQ(calls, 1);
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(cache.Get(1000, clock.MonotonicNow()), "alice2");
  EXPECT_EQ(calls, 2);
}

TEST(NameCacheTest, IdsAreCachedSeparatelyAndTheSizeIsBounded) {
  int calls = 0;
  NameCache cache([&](uint32_t id) { ++calls; return std::to_string(id); }, std::chrono::seconds(60), 2);
  FakeClock clock;
  EXPECT_EQ(cache.Get(1, clock.MonotonicNow()), "1");
  EXPECT_EQ(cache.Get(2, clock.MonotonicNow()), "2");
  EXPECT_EQ(cache.Get(1, clock.MonotonicNow()), "1");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(cache.Get(3, clock.MonotonicNow()), "3");  // full: starts over
  EXPECT_EQ(cache.Get(1, clock.MonotonicNow()), "1");
  EXPECT_EQ(calls, 4);
}

}  // namespace
}  // namespace drover::ctld
