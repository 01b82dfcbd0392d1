#include "cli/node_update.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

TEST(NodeUpdateTest, ScontrolWords) {
  auto r = ParseNodeUpdate({"NodeName=node[1-2]", "State=DRAIN", "Reason=fan failure"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->nodes_size(), 2);
  EXPECT_EQ(r->nodes(1), "node2");
  EXPECT_EQ(r->action(), v1::NODE_ACTION_DRAIN);
  EXPECT_EQ(r->reason(), "fan failure");

  auto resume = ParseNodeUpdate({"nodename=node4", "state=resume"});
  ASSERT_TRUE(resume.ok()) << resume.status().message();
  EXPECT_EQ(resume->action(), v1::NODE_ACTION_RESUME);
}

TEST(NodeUpdateTest, ErrorsSayWhatIsAccepted) {
  EXPECT_NE(ParseNodeUpdate({"NodeName=node1", "State=DRAIN"}).status().message().find("Reason="),
            std::string::npos);
  EXPECT_NE(ParseNodeUpdate({"NodeName=node1", "State=SLEEP", "Reason=x"}).status().message().find("State=DRAIN"),
            std::string::npos);
  EXPECT_NE(ParseNodeUpdate({"State=DRAIN", "Reason=x"}).status().message().find("NodeName="),
            std::string::npos);
  EXPECT_NE(ParseNodeUpdate({"NodeName=node1", "fan"}).status().message().find("KEY=VALUE"),
            std::string::npos);
  EXPECT_FALSE(ParseNodeUpdate({"NodeName=node[1-", "State=DOWN", "Reason=x"}).ok());
}

TEST(NodeUpdateTest, PartitionState) {
  EXPECT_TRUE(IsPartitionUpdate({"PartitionName=short", "State=DOWN"}));
  EXPECT_FALSE(IsPartitionUpdate({"NodeName=node1", "State=DOWN"}));
  auto r = ParsePartitionUpdate({"partitionname=short", "state=inactive"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->name(), "short");
  EXPECT_EQ(r->state(), "inactive");
  EXPECT_NE(ParsePartitionUpdate({"PartitionName=short", "State=SLEEP"}).status().message().find("State=DRAIN"),
            std::string::npos);
  EXPECT_NE(ParsePartitionUpdate({"PartitionName=short"}).status().message().find("State="), std::string::npos);
  EXPECT_NE(ParsePartitionUpdate({"PartitionName=short", "MaxTime=5"}).status().message().find("drover.yaml"),
            std::string::npos);
}

TEST(NodeUpdateTest, NativeVerbs) {
  auto r = ParseNodeVerb("drain", {"node[1,4]", "new", "fans"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->nodes_size(), 2);
  EXPECT_EQ(r->reason(), "new fans");
  EXPECT_FALSE(ParseNodeVerb("down", {"node1"}).ok());
  EXPECT_TRUE(ParseNodeVerb("resume", {"node1"}).ok());
}

}  // namespace
}  // namespace drover::cli
