#include "noded/report_batcher.h"

#include <gtest/gtest.h>

namespace drover::noded {
namespace {

using Ids = std::vector<uint64_t>;

TEST(ReportBatcher, AnEndAloneGoesAtOnce) {
  ReportBatcher b;
  EXPECT_TRUE(b.Next().empty());
  b.Add(7);
  EXPECT_EQ(b.Next(), Ids({7}));
  EXPECT_TRUE(b.in_flight());
}

TEST(ReportBatcher, EndsDuringAFlightGoTogetherAfterItsAnswer) {
  ReportBatcher b;
  b.Add(1);
  EXPECT_EQ(b.Next(), Ids({1}));
  b.Add(3);
  b.Add(2);
  EXPECT_TRUE(b.Next().empty()) << "one batch in flight at a time";
  EXPECT_EQ(b.waiting(), 2u);
  b.Done();
  EXPECT_EQ(b.Next(), Ids({2, 3}));
  b.Done();
  EXPECT_TRUE(b.Next().empty());
  EXPECT_FALSE(b.in_flight());
}

TEST(ReportBatcher, AnIdWaitsOnceAndCanBeWithdrawn) {
  ReportBatcher b;
  b.Add(5);
  b.Add(5);
  b.Add(6);
  b.Remove(6);
  EXPECT_EQ(b.Next(), Ids({5}));
}

TEST(ReportBatcher, ABatchIsBounded) {
  ReportBatcher b(2);
  for (uint64_t id : {4, 1, 3, 2, 5}) b.Add(id);
  EXPECT_EQ(b.Next(), Ids({1, 2}));
  b.Done();
  EXPECT_EQ(b.Next(), Ids({3, 4}));
  b.Done();
  EXPECT_EQ(b.Next(), Ids({5}));
}

TEST(ReportBatcher, AFailedFlightIsResentWhenAddedAgain) {
  ReportBatcher b;
  b.Add(9);
  EXPECT_EQ(b.Next(), Ids({9}));
  b.Done();  // the call failed; the caller keeps the report and adds it again (heartbeat)
  EXPECT_TRUE(b.Next().empty());
  b.Add(9);
  EXPECT_EQ(b.Next(), Ids({9}));
}

}  // namespace
}  // namespace drover::noded
