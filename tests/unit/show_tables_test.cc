#include "cli/show_tables.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/acct_fields.h"
#include "cli/cli_util.h"

namespace drover::cli {
namespace {

v1::QueryNodesResponse TwoNodes() {
  v1::QueryNodesResponse r;
  for (const char* name : {"node1", "node2"}) {
    auto* n = r.add_nodes();
    n->set_name(name);
    n->set_state(v1::NODE_STATE_IDLE);
    n->set_cpus(8);
    n->set_memory_mb(4096);
    n->add_partitions("batch");
  }
  r.mutable_nodes(1)->set_state(v1::NODE_STATE_DRAINED);
  r.mutable_nodes(1)->set_reason("a rather long reason for the drain that will not fit");
  auto* p = r.add_partitions();
  p->set_name("batch");
  p->set_is_default(true);
  p->set_up(true);
  p->add_nodes("node1");
  p->add_nodes("node2");
  return r;
}

size_t Widest(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  size_t widest = 0;
  while (std::getline(in, line)) widest = std::max(widest, DisplayWidth(line));
  return widest;
}

TEST(ShowTablesTest, NodesOneRowEachFittedToTheWidth) {
  const std::string wide = NodeTable(TwoNodes(), 0, true);
  EXPECT_EQ(wide.substr(0, wide.find('\n')).rfind("NODE", 0), 0u);
  EXPECT_NE(wide.find("DRAINED"), std::string::npos);
  EXPECT_NE(wide.find("will not fit"), std::string::npos);
  EXPECT_LE(Widest(NodeTable(TwoNodes(), 40, true)), 40u);
}

TEST(ShowTablesTest, Partitions) {
  const std::string t = PartitionTable(TwoNodes(), 0, true);
  EXPECT_NE(t.find("batch"), std::string::npos);
  EXPECT_NE(t.find("node[1-2]"), std::string::npos);
  EXPECT_NE(t.find("UNLIMITED"), std::string::npos);
}

TEST(ShowTablesTest, AcctColumnsShrinkNamesAndDropExtrasFirst) {
  auto fields = ParseAcctFields(kAcctDefaultFields);
  ASSERT_TRUE(fields.ok());
  const auto columns = AcctTableColumns(*fields);
  ASSERT_EQ(columns.size(), fields->size());
  EXPECT_EQ(columns[0].header, "JobID");
  EXPECT_TRUE(columns[1].shrink);  // JobName
  EXPECT_TRUE(columns[4].right);   // AllocCPUS
  EXPECT_GT(columns[3].drop, columns[2].drop);  // Account before Partition
  std::vector<std::vector<std::string>> rows = {{"12", "a-very-long-job-name", "batch", "acct", "4", "COMPLETED", "0:0"}};
  TableOptions options;
  options.width = 40;
  EXPECT_LE(Widest(RenderTable(columns, rows, options)), 40u);
}

TEST(CliUtilTest, JsonStringEscapes) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
}

}  // namespace
}  // namespace drover::cli
