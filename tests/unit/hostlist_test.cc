#include "common/hostlist.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace drover {
namespace {

using Names = std::vector<std::string>;

Names Expand(const std::string& expr) {
  Result<Names> r = ExpandHostlist(expr);
  EXPECT_TRUE(r.ok()) << expr << ": " << r.status().message();
  return r.ok() ? *r : Names{};
}

void ExpectInvalid(const std::string& expr) {
  Result<Names> r = ExpandHostlist(expr);
  ASSERT_FALSE(r.ok()) << expr << " expanded to " << r->size() << " names";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

// The examples of CONTRACT.md §8.1, checked against libslurm.
TEST(HostlistTest, ContractZeroPaddedRangeAndPlainName) {
  EXPECT_EQ(Expand("node[01-04,7],gpu1"),
            (Names{"node01", "node02", "node03", "node04", "node7", "gpu1"}));
  EXPECT_EQ(CompressHostlist(Expand("node[01-04,7],gpu1")), "node[01-04,7],gpu1");
}

TEST(HostlistTest, ContractCompressConsecutivePlainNames) {
  EXPECT_EQ(CompressHostlist({"a1", "a2", "a3", "b5"}), "a[1-3],b5");
}

TEST(HostlistTest, ContractNeighbouringTokensMerge) {
  EXPECT_EQ(Expand("x[1-2],x3"), (Names{"x1", "x2", "x3"}));
  EXPECT_EQ(CompressHostlist(Expand("x[1-2],x3")), "x[1-3]");
}

TEST(HostlistTest, ContractOrderIsPreservedNotSorted) {
  EXPECT_EQ(Expand("n[3,1,2]"), (Names{"n3", "n1", "n2"}));
  EXPECT_EQ(CompressHostlist(Expand("n[3,1,2]")), "n[3,1-2]");
}

TEST(HostlistTest, ContractFqdnsKeptAsIs) {
  EXPECT_EQ(Expand("h1.dom.org,h2.dom.org"), (Names{"h1.dom.org", "h2.dom.org"}));
  EXPECT_EQ(CompressHostlist({"h1.dom.org", "h2.dom.org"}), "h1.dom.org,h2.dom.org");
}

TEST(HostlistTest, ContractReversedRangeIsAnError) { ExpectInvalid("n[2-1]"); }

TEST(HostlistTest, ContractTextAfterClosingBracketIsAnError) {
  ExpectInvalid("node[1-2]-ib");
  Result<Names> r = ExpandHostlist("node[1-2]-ib");
  ASSERT_FALSE(r.ok());
  // The message quotes the offending token so a user can find it in a long list.
  EXPECT_NE(r.status().message().find("\"node[1-2]-ib\""), std::string::npos)
      << r.status().message();
}

TEST(HostlistTest, ContractBracketInsidePrefix) {
  EXPECT_EQ(Expand("rack[1-2]-n[01-02]"),
            (Names{"rack1-n01", "rack1-n02", "rack2-n01", "rack2-n02"}));
}

TEST(HostlistTest, SeparatorsAreCommaSpaceAndTab) {
  EXPECT_EQ(Expand("a1,a2 a3\ta4"), (Names{"a1", "a2", "a3", "a4"}));
  EXPECT_EQ(Expand("  a1 ,, a2\t"), (Names{"a1", "a2"}));
}

TEST(HostlistTest, CommasInsideBracketsSeparateRanges) {
  EXPECT_EQ(Expand("n[1,3-4],m2"), (Names{"n1", "n3", "n4", "m2"}));
}

TEST(HostlistTest, EmptyExpressionGivesNoNames) {
  EXPECT_TRUE(Expand("").empty());
  EXPECT_TRUE(Expand(" ,\t").empty());
}

TEST(HostlistTest, WidthOfLowEndSetsPadding) {
  EXPECT_EQ(Expand("n[08-10]"), (Names{"n08", "n09", "n10"}));
  EXPECT_EQ(Expand("n[8-10]"), (Names{"n8", "n9", "n10"}));
  EXPECT_EQ(Expand("n[001-002]"), (Names{"n001", "n002"}));
  EXPECT_EQ(Expand("n[0]"), (Names{"n0"}));
}

TEST(HostlistTest, DuplicatesAreKept) {
  EXPECT_EQ(Expand("n1,n[1-2]"), (Names{"n1", "n1", "n2"}));
  EXPECT_EQ(CompressHostlist({"n1", "n1"}), "n[1,1]");
}

TEST(HostlistTest, RangeOfExactly65536IsAccepted) {
  Names names = Expand("n[0-65535]");
  ASSERT_EQ(names.size(), 65536u);
  EXPECT_EQ(names.front(), "n0");
  EXPECT_EQ(names.back(), "n65535");
}

TEST(HostlistTest, RangeOfMoreThan65536IsAnError) { ExpectInvalid("n[0-65536]"); }

TEST(HostlistTest, TwoGroupsMayNotMultiplyWithoutBound) { ExpectInvalid("a[0-65535]-b[0-65535]"); }

TEST(HostlistTest, MalformedExpressionsAreErrors) {
  for (const char* expr :
       {"n[1-2", "n1-2]", "n]1[", "n[]", "n[1-]", "n[-1]", "n[a-b]", "n[1,,2]", "n[1-2-3]",
        "n[[1]]", "a[1]b[2]c[3]", "n[1,2", "n[99999999999999999999]"}) {
    SCOPED_TRACE(expr);
    ExpectInvalid(expr);
  }
}

TEST(HostlistTest, CompressEmptyGivesEmpty) { EXPECT_EQ(CompressHostlist({}), ""); }

TEST(HostlistTest, CompressSingleNameHasNoBrackets) {
  EXPECT_EQ(CompressHostlist({"node3"}), "node3");
  EXPECT_EQ(CompressHostlist({"login"}), "login");
}

TEST(HostlistTest, CompressKeepsDifferentPaddingApart) {
  // n9 and n010 cannot share one width, n09 and n10 can.
  EXPECT_EQ(CompressHostlist({"n9", "n010"}), "n[9,010]");
  EXPECT_EQ(CompressHostlist({"n09", "n10"}), "n[09-10]");
  EXPECT_EQ(CompressHostlist({"n9", "n10"}), "n[9-10]");
  EXPECT_EQ(CompressHostlist({"n1", "n02"}), "n[1,02]");
}

TEST(HostlistTest, CompressDoesNotMergeAcrossOtherPrefixes) {
  EXPECT_EQ(CompressHostlist({"a1", "b1", "a2"}), "a1,b1,a2");
  EXPECT_EQ(CompressHostlist({"a1", "login", "a2"}), "a1,login,a2");
}

TEST(HostlistTest, CompressTuringPiNodes) {
  EXPECT_EQ(CompressHostlist({"node1", "node2", "node4"}), "node[1-2,4]");
}

TEST(HostlistTest, CompressNumericOnlyNames) {
  EXPECT_EQ(CompressHostlist({"1", "2"}), "[1-2]");
  EXPECT_EQ(Expand("[1-2]"), (Names{"1", "2"}));
}

// Expanding the compressed form gives back exactly the input, for lists of realistic names.
TEST(HostlistTest, RoundTripProperty) {
  std::mt19937 rng(12345);
  const std::vector<std::string> prefixes = {"n", "node", "gpu", "rack1-n", "x"};
  for (int iteration = 0; iteration < 2000; ++iteration) {
    Names names;
    const int count = static_cast<int>(rng() % 12);
    for (int i = 0; i < count; ++i) {
      const std::string& prefix = prefixes[rng() % prefixes.size()];
      const unsigned width = rng() % 4;  // 0: unpadded
      const unsigned number = rng() % 13;
      std::string digits = std::to_string(number);
      if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
      if (rng() % 10 == 0) {
        names.push_back("login" + std::string(rng() % 2 ? ".dom.org" : ""));
      } else {
        names.push_back(prefix + digits);
      }
    }
    const std::string compressed = CompressHostlist(names);
    SCOPED_TRACE(compressed);
    Result<Names> expanded = ExpandHostlist(compressed);
    ASSERT_TRUE(expanded.ok()) << expanded.status().message();
    EXPECT_EQ(*expanded, names);
    // Compressing is idempotent through a round trip.
    EXPECT_EQ(CompressHostlist(*expanded), compressed);
  }
}

// Compressing the expansion of a canonical expression reproduces the expression.
TEST(HostlistTest, CanonicalExpressionsRoundTrip) {
  for (const char* expr : {"node[1-2,4]", "n[01-16]", "a[1-3],b5", "n[3,1-2]", "gpu1",
                           "n[9-11],m[008-010]", "rack1-n[01-02],rack2-n[01-02]"}) {
    EXPECT_EQ(CompressHostlist(Expand(expr)), expr);
  }
}

}  // namespace
}  // namespace drover
