// The pure grammars of arrays and dependencies (ctld/array_spec.h, ctld/dependency.h).
#include <gtest/gtest.h>

#include "ctld/array_spec.h"
#include "ctld/dependency.h"

namespace drover::ctld {
namespace {

TEST(ArraySpecTest, RangeListStepAndThrottle) {
  auto a = ParseArraySpec("0-99");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->count, 100u);
  EXPECT_EQ(a->min, 0u);
  EXPECT_EQ(a->max, 99u);
  EXPECT_EQ(a->step, 1u);
  EXPECT_EQ(a->max_running, 0u);

  a = ParseArraySpec("1,3,5");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->indices.Ranges(), "1,3,5");
  EXPECT_EQ(a->step, 2u);

  a = ParseArraySpec("0-15:4%2");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->indices.Ranges(), "0,4,8,12");
  EXPECT_EQ(a->count, 4u);
  EXPECT_EQ(a->step, 4u);
  EXPECT_EQ(a->max_running, 2u);

  a = ParseArraySpec("1-3,7");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->step, 1u) << "unevenly spaced indices report step 1, as Slurm";
}

TEST(ArraySpecTest, Rejects) {
  for (const char* bad : {"", "a", "1-", "5-1", "1,,2", "0-3%0", "0-3%", "1:0", "0-9:0", "99999999"}) {
    EXPECT_FALSE(ParseArraySpec(bad).ok()) << bad;
  }
}

// A 100,000-element array is a bitmap of ~12 KB, and its remainder prints compactly.
TEST(ArraySpecTest, LargeSetIsCompact) {
  auto a = ParseArraySpec("0-99999");
  ASSERT_TRUE(a.ok());
  IndexSet s = a->indices;
  EXPECT_EQ(s.Count(), 100000u);
  s.Remove(0);
  s.Remove(1);
  s.Remove(50);
  EXPECT_EQ(s.Ranges(), "2-49,51-99999");
  EXPECT_EQ(*s.First(), 2u);
  EXPECT_EQ(*s.Last(), 99999u);
  EXPECT_EQ(*s.NextFrom(50), 51u);
  EXPECT_FALSE(s.NextFrom(100000).has_value());
}

TEST(ArraySpecTest, ExpandArrayPatternKeepsOtherSequences) {
  EXPECT_EQ(ExpandArrayPattern("slurm-%A_%a.out", 12, 7), "slurm-12_7.out");
  EXPECT_EQ(ExpandArrayPattern("o-%3a-%j-%%-%x", 12, 7), "o-007-%j-%%-%x");
  EXPECT_EQ(ExpandArrayPattern("trailing%", 1, 2), "trailing%");
  EXPECT_EQ(ExpandArrayPattern("%5", 1, 2), "%5");
}

TEST(ArraySpecTest, JobIdSpellings) {
  auto j = ParseJobIdSpec("12");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->job_id, 12u);
  EXPECT_FALSE(j->tasks.has_value());
  j = ParseJobIdSpec("12_7");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->tasks->Ranges(), "7");
  j = ParseJobIdSpec("12_[1-3,5]");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->tasks->Ranges(), "1-3,5");
  j = ParseJobIdSpec("12_[4-9%2]");  // as squeue prints a throttled remainder
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->tasks->Ranges(), "4-9");
  for (const char* bad : {"", "x", "0", "12_", "12_[", "12_x", "_3"}) EXPECT_FALSE(ParseJobIdSpec(bad).ok()) << bad;
}

TEST(DependencyTest, Grammar) {
  auto d = ParseDependency("afterok:1:2,afterany:3");
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->items.size(), 3u);
  EXPECT_FALSE(d->any);
  EXPECT_EQ(d->items[0].type, DependencyType::kAfterOk);
  EXPECT_EQ(d->items[1].job_id, 2u);
  EXPECT_EQ(d->items[2].type, DependencyType::kAfterAny);

  d = ParseDependency("afternotok:4?after:5_3");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->any);
  EXPECT_EQ(d->items[1].type, DependencyType::kAfter);
  EXPECT_EQ(d->items[1].job_id, 5u);
  EXPECT_EQ(*d->items[1].task_id, 3u);

  d = ParseDependency("singleton");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->items[0].type, DependencyType::kSingleton);

  EXPECT_TRUE(ParseDependency("")->empty());
  for (const char* bad : {"afterok", "afterok:", "afterok:x", "before:1", "afterok:1,afterany:2?after:3",
                          "afterok:1,", "afterok:0", "afterok:1_x"}) {
    EXPECT_FALSE(ParseDependency(bad).ok()) << bad;
  }
}

TEST(DependencyTest, Evaluation) {
  using S = DependencyStatus;
  TargetState pending{true, 1, 0, 0, 0}, running{true, 0, 1, 0, 0}, ok{true, 0, 0, 1, 0}, failed{true, 0, 0, 0, 1};
  EXPECT_EQ(EvaluateItem(DependencyType::kAfter, pending), S::kWaiting);
  EXPECT_EQ(EvaluateItem(DependencyType::kAfter, running), S::kSatisfied);
  EXPECT_EQ(EvaluateItem(DependencyType::kAfterAny, running), S::kWaiting);
  EXPECT_EQ(EvaluateItem(DependencyType::kAfterAny, failed), S::kSatisfied);
  EXPECT_EQ(EvaluateItem(DependencyType::kAfterOk, ok), S::kSatisfied);
  EXPECT_EQ(EvaluateItem(DependencyType::kAfterOk, failed), S::kNeverSatisfied);
  EXPECT_EQ(EvaluateItem(DependencyType::kAfterNotOk, ok), S::kNeverSatisfied);
  EXPECT_EQ(EvaluateItem(DependencyType::kAfterNotOk, failed), S::kSatisfied);
  // An array: one failed element settles afterok even while others run.
  EXPECT_EQ(EvaluateItem(DependencyType::kAfterOk, TargetState{true, 2, 1, 3, 1}), S::kNeverSatisfied);
  EXPECT_EQ(EvaluateItem(DependencyType::kAfterOk, TargetState{true, 0, 1, 3, 0}), S::kWaiting);
  // A purged target lifts the item (Slurm).
  EXPECT_EQ(EvaluateItem(DependencyType::kAfterOk, TargetState{}), S::kSatisfied);

  EXPECT_EQ(Combine({S::kSatisfied, S::kWaiting}, false), S::kWaiting);
  EXPECT_EQ(Combine({S::kSatisfied, S::kNeverSatisfied}, false), S::kNeverSatisfied);
  EXPECT_EQ(Combine({S::kNeverSatisfied, S::kSatisfied}, true), S::kSatisfied);
  EXPECT_EQ(Combine({S::kNeverSatisfied, S::kWaiting}, true), S::kWaiting);
  EXPECT_EQ(Combine({S::kNeverSatisfied, S::kNeverSatisfied}, true), S::kNeverSatisfied);
}

}  // namespace
}  // namespace drover::ctld
