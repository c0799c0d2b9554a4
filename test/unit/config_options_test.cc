// Unit tests for the option table (include/ssebridge/config_options.h). The
// loading rules (precedence, file, environment) are in config_test.cc.
#include "ssebridge/config_options.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace ssebridge {
namespace {

TEST(ConfigOptions, EveryOptionIsFoundByNameAndHasHelp) {
  std::set<std::string> names;
  for (const OptionSpec& option : Options()) {
    EXPECT_TRUE(names.insert(option.name).second) << "listed twice: " << option.name;
    EXPECT_EQ(FindOption(option.name), &option) << option.name;
    EXPECT_NE(std::string(option.help), "") << option.name;
    EXPECT_TRUE(option.apply) << option.name;
    // Only repeatable options can forget lower-precedence values.
    EXPECT_EQ(option.clear != nullptr, option.repeatable) << option.name;
  }
  EXPECT_GT(names.size(), 20u);
}

TEST(ConfigOptions, UnknownNamesAndDashedSpellingsAreNotOptions) {
  EXPECT_EQ(FindOption("no-such-option"), nullptr);
  EXPECT_EQ(FindOption("--listen"), nullptr);
  EXPECT_EQ(FindOption(""), nullptr);
}

TEST(ConfigOptions, EnvironmentNamesAreUpperCaseWithUnderscores) {
  EXPECT_EQ(EnvName("listen"), "SSEBRIDGE_LISTEN");
  EXPECT_EQ(EnvName("max-streams-per-ip"), "SSEBRIDGE_MAX_STREAMS_PER_IP");
}

TEST(ConfigOptions, ApplyingAValueSetsTheFieldOrReturnsAnError) {
  const OptionSpec* heartbeat = FindOption("heartbeat");
  ASSERT_NE(heartbeat, nullptr);
  Config config;
  EXPECT_EQ(heartbeat->apply(config, "7"), "");
  EXPECT_EQ(config.heartbeat_seconds, 7u);
  EXPECT_NE(heartbeat->apply(config, "seven"), "");
  EXPECT_NE(heartbeat->apply(config, "-1"), "");
  EXPECT_EQ(config.heartbeat_seconds, 7u) << "a refused value leaves the field alone";

  const OptionSpec* listen = FindOption("listen");
  ASSERT_NE(listen, nullptr);
  EXPECT_EQ(listen->apply(config, "127.0.0.2:9000"), "");
  ASSERT_EQ(config.listen.size(), 2u) << "the default and the one given: the loader clears the default first";
  EXPECT_EQ(config.listen[1].host, "127.0.0.2");
  EXPECT_EQ(config.listen[1].port, 9000u);
  EXPECT_NE(listen->apply(config, "127.0.0.2:99999"), "");
}

}  // namespace
}  // namespace ssebridge
