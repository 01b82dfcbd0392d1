#include "common/units.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace drover {
namespace {

uint32_t Minutes(const std::string& text) {
  Result<uint32_t> r = ParseTimeLimitMinutes(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? *r : 0;
}

uint64_t Mb(const std::string& text) {
  Result<uint64_t> r = ParseMemoryMB(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? *r : 0;
}

TEST(UnitsTest, TimeMinutesOnly) {
  EXPECT_EQ(Minutes("5"), 5u);
  EXPECT_EQ(Minutes("0"), 0u);
  EXPECT_EQ(Minutes("1440"), 1440u);
}

TEST(UnitsTest, TimeMinutesSecondsRoundsUp) {
  // Slurm: "1:30" is 2 minutes.
  EXPECT_EQ(Minutes("1:30"), 2u);
  EXPECT_EQ(Minutes("2:00"), 2u);
  EXPECT_EQ(Minutes("0:01"), 1u);
}

TEST(UnitsTest, TimeHoursMinutesSeconds) {
  EXPECT_EQ(Minutes("00:30:00"), 30u);
  EXPECT_EQ(Minutes("1:00:00"), 60u);
  EXPECT_EQ(Minutes("1:00:30"), 61u);
  // Clients send HH:mm:ss with hours beyond a day.
  EXPECT_EQ(Minutes("48:00:00"), 48u * 60);
  EXPECT_EQ(Minutes("100:10:00"), 100u * 60 + 10);
}

TEST(UnitsTest, TimeWithDays) {
  EXPECT_EQ(Minutes("1-0"), 1440u);
  EXPECT_EQ(Minutes("2-3"), 2u * 1440 + 180);
  EXPECT_EQ(Minutes("1-2:30"), 1440u + 150);
  EXPECT_EQ(Minutes("1-2:30:01"), 1440u + 151);
}

TEST(UnitsTest, TimeUnlimitedSpellings) {
  EXPECT_EQ(Minutes("UNLIMITED"), kUnlimitedMinutes);
  EXPECT_EQ(Minutes("unlimited"), kUnlimitedMinutes);
  EXPECT_EQ(Minutes("INFINITE"), kUnlimitedMinutes);
  EXPECT_EQ(Minutes("Infinite"), kUnlimitedMinutes);
  EXPECT_EQ(Minutes("-1"), kUnlimitedMinutes);
}

TEST(UnitsTest, TimeErrorsListTheAcceptedForms) {
  for (const char* text : {"", "abc", "1:2:3:4", "1-2-3", "1:2-3", ":5", "5:", "1-", "-5", "1.5",
                           " 5", "5 ", "1-2:3:4:5", "+5", "1h"}) {
    SCOPED_TRACE(text);
    Result<uint32_t> r = ParseTimeLimitMinutes(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("D-H:M:S"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("UNLIMITED"), std::string::npos);
  }
}

TEST(UnitsTest, TimeTooLargeIsAnError) {
  EXPECT_FALSE(ParseTimeLimitMinutes("999999999-0").ok());
  EXPECT_FALSE(ParseTimeLimitMinutes("4294967295").ok());
  EXPECT_EQ(Minutes("4294967294"), 4294967294u);
}

TEST(UnitsTest, MemoryDefaultUnitIsMegabytes) {
  EXPECT_EQ(Mb("100"), 100u);
  EXPECT_EQ(Mb("0"), 0u);
}

TEST(UnitsTest, MemorySuffixesCaseInsensitive) {
  EXPECT_EQ(Mb("50M"), 50u);
  EXPECT_EQ(Mb("50m"), 50u);
  EXPECT_EQ(Mb("27G"), 27u * 1024);
  EXPECT_EQ(Mb("27g"), 27u * 1024);
  EXPECT_EQ(Mb("2T"), 2u * 1024 * 1024);
  EXPECT_EQ(Mb("2t"), 2u * 1024 * 1024);
}

TEST(UnitsTest, MemoryOptionalTrailingB) {
  EXPECT_EQ(Mb("4GB"), 4u * 1024);
  EXPECT_EQ(Mb("4gb"), 4u * 1024);
  EXPECT_EQ(Mb("1536MB"), 1536u);
  EXPECT_EQ(Mb("1TB"), 1024u * 1024);
}

TEST(UnitsTest, MemoryKilobytesRoundUp) {
  EXPECT_EQ(Mb("1024K"), 1u);
  EXPECT_EQ(Mb("1025K"), 2u);
  EXPECT_EQ(Mb("1k"), 1u);
  EXPECT_EQ(Mb("0K"), 0u);
  EXPECT_EQ(Mb("2048KB"), 2u);
}

TEST(UnitsTest, MemoryErrorsListTheAcceptedForms) {
  for (const char* text :
       {"", "G", "abc", "-1", "+1", "1.5G", "1X", "1GBB", "1B", "1 G", " 1", "1G ", "1BG"}) {
    SCOPED_TRACE(text);
    Result<uint64_t> r = ParseMemoryMB(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("K, M, G or T"), std::string::npos) << r.status().message();
  }
}

TEST(UnitsTest, MemoryOverflowIsAnError) {
  EXPECT_FALSE(ParseMemoryMB("18446744073709551616").ok());
  EXPECT_FALSE(ParseMemoryMB("99999999999999999T").ok());
  EXPECT_EQ(Mb("18446744073709551615"), 18446744073709551615ull);
}

TEST(UnitsTest, FormatDurationLikeSqueue) {
  EXPECT_EQ(FormatDuration(0), "0:00");
  EXPECT_EQ(FormatDuration(5), "0:05");
  EXPECT_EQ(FormatDuration(65), "1:05");
  EXPECT_EQ(FormatDuration(3599), "59:59");
  EXPECT_EQ(FormatDuration(3600), "1:00:00");
  EXPECT_EQ(FormatDuration(86399), "23:59:59");
  EXPECT_EQ(FormatDuration(86400), "1-00:00:00");
  EXPECT_EQ(FormatDuration(2 * 86400 + 3 * 3600 + 4 * 60 + 5), "2-03:04:05");
  EXPECT_EQ(FormatDuration(-1), "INVALID");
}

TEST(UnitsTest, FormatTimeLimit) {
  EXPECT_EQ(FormatTimeLimit(kUnlimitedMinutes), "UNLIMITED");
  EXPECT_EQ(FormatTimeLimit(30), "30:00");
  EXPECT_EQ(FormatTimeLimit(60), "1:00:00");
  EXPECT_EQ(FormatTimeLimit(1440), "1-00:00:00");
  // The largest limited value must not overflow.
  EXPECT_EQ(FormatTimeLimit(kUnlimitedMinutes - 1),
            FormatDuration(int64_t{kUnlimitedMinutes - 1} * 60));
}

TEST(UnitsTest, FormatParseRoundTrip) {
  for (uint32_t minutes : {0u, 1u, 59u, 60u, 61u, 1439u, 1440u, 1441u, 100000u}) {
    EXPECT_EQ(Minutes(FormatTimeLimit(minutes)), minutes);
  }
}

TEST(UnitsTest, MoveTimeLimit) {
  EXPECT_EQ(*MoveTimeLimit(60, 30), 90u);
  EXPECT_EQ(*MoveTimeLimit(60, -30), 30u);
  EXPECT_EQ(*MoveTimeLimit(60, 0), 60u);
  auto to_zero = MoveTimeLimit(60, -60);
  ASSERT_FALSE(to_zero.ok());
  EXPECT_NE(to_zero.status().message().find("cannot take 1:00:00 from a time limit of 1:00:00"), std::string::npos)
      << to_zero.status().message();
  EXPECT_FALSE(MoveTimeLimit(60, -61).ok());
  EXPECT_FALSE(MoveTimeLimit(60, std::numeric_limits<int64_t>::min()).ok());
  EXPECT_FALSE(MoveTimeLimit(60, std::numeric_limits<int64_t>::max()).ok());
  EXPECT_FALSE(MoveTimeLimit(kUnlimitedMinutes - 10, 10).ok());
  auto unlimited = MoveTimeLimit(kUnlimitedMinutes, 30);
  ASSERT_FALSE(unlimited.ok());
  EXPECT_NE(unlimited.status().message().find("UNLIMITED"), std::string::npos);
}

TEST(UnitsTest, FormatMemoryHuman) {
  EXPECT_EQ(FormatMemoryHuman(0), "0M");
  EXPECT_EQ(FormatMemoryHuman(512), "512M");
  EXPECT_EQ(FormatMemoryHuman(1023), "1023M");
  EXPECT_EQ(FormatMemoryHuman(1024), "1.0G");
  EXPECT_EQ(FormatMemoryHuman(15 * 1024), "15.0G");
  EXPECT_EQ(FormatMemoryHuman(16000), "15.6G");
  EXPECT_EQ(FormatMemoryHuman(2 * 1024 * 1024), "2.0T");
  // Never "1024.0G": switch to T first.
  EXPECT_EQ(FormatMemoryHuman(1024 * 1024 - 1), "1.0T");
}

}  // namespace
}  // namespace drover
