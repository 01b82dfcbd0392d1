#include "cli/empty_values.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

// sbatch's shape: options, then the script and its own words.
struct SbatchLike {
  SbatchLike() {
    app.add_option("--mem", mem);
    app.add_option("-o,--output", out);
    app.add_flag("--parsable", parsable);
    app.prefix_command();
  }
  CLI::App app{"test", "sbatch"};
  std::string mem, out;
  bool parsable = false;
};

TEST(RefuseEmptyValuesTest, AnEmptyValueIsRefusedNotTakenFromTheNextWord) {
  SbatchLike s;
  const CLI::App& app = s.app;
  EXPECT_THROW(RefuseEmptyValues(app, {"--mem=", "--wrap", "true"}), CLI::ArgumentMismatch);
  EXPECT_THROW(RefuseEmptyValues(app, {"-o", "x.out", "--output="}), CLI::ArgumentMismatch);
  try {
    RefuseEmptyValues(app, {"--parsable", "--mem="});
    FAIL();
  } catch (const CLI::ArgumentMismatch& e) {
    EXPECT_NE(std::string(e.what()).find("--mem: needs a value after '='"), std::string::npos);
  }
}

TEST(RefuseEmptyValuesTest, ValuesFlagsUnknownOptionsAndTheScriptsWordsPass) {
  SbatchLike s;
  const CLI::App& app = s.app;
  EXPECT_NO_THROW(RefuseEmptyValues(app, {"--mem=1G", "-o", "--weird-file-name=", "job.sh"}));
  EXPECT_NO_THROW(RefuseEmptyValues(app, {"--parsable", "job.sh", "--mem="}));  // the script's
  EXPECT_NO_THROW(RefuseEmptyValues(app, {"--", "--mem="}));
  EXPECT_NO_THROW(RefuseEmptyValues(app, {"--unknown=", "job.sh"}));  // CLI11 reports it
}

TEST(RefuseEmptyValuesTest, WithoutAPrefixCommandEveryWordIsLookedAt) {
  CLI::App app{"test", "squeue"};
  std::string format;
  std::vector<std::string> ids;
  app.add_option("-o,--format", format);
  app.add_option("ids", ids);
  EXPECT_THROW(RefuseEmptyValues(app, {"12", "--format="}), CLI::ArgumentMismatch);
}

}  // namespace
}  // namespace drover::cli
