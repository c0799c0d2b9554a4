// Unit tests for the manual page writer (include/ssebridge/man_page.h).
#include "ssebridge/man_page.h"

#include <gtest/gtest.h>

#include <string>

namespace ssebridge {
namespace {

TEST(ManPage, EveryOptionOfTheTableAppearsWithItsEnvironmentVariableAndDefault) {
  const std::string page = ManPage("9.8.7");
  for (const OptionSpec& option : Options()) {
    const std::string heading = ".TP\n\\fB\\-\\-" + RoffEscape(option.name) + "\\fR";
    size_t at = page.find(heading);
    ASSERT_NE(at, std::string::npos) << option.name;
    // The option's entry runs to the next entry; its variable and default are in it.
    size_t next = page.find(".TP\n", at + heading.size());
    const std::string entry = page.substr(at, next - at);
    EXPECT_NE(entry.find("Environment: \\fB" + RoffEscape(EnvName(option.name)) + "\\fR"), std::string::npos)
        << entry;
    const std::string default_text = OptionDefault(option);
    EXPECT_NE(entry.find("Default: " + RoffEscape(default_text.empty() ? "none" : default_text)), std::string::npos)
        << entry;
    EXPECT_EQ(entry.find("VALUE") != std::string::npos, option.takes_value) << entry;
  }
  EXPECT_NE(page.find("ssebridge 9.8.7"), std::string::npos);
}

TEST(ManPage, TheDefaultIsTakenFromTheHelpTextsDefaultClause) {
  EXPECT_EQ(OptionDefault(*FindOption("heartbeat")), "15");
  EXPECT_EQ(OptionDefault(*FindOption("unix-socket-mode")), "from the umask");
  EXPECT_EQ(OptionDefault(*FindOption("jwt-secret-file")), "");
}

TEST(ManPage, RoffEscapingKeepsTextFromBeingReadAsRequests) {
  EXPECT_EQ(RoffEscape("max-body-bytes"), "max\\-body\\-bytes");
  EXPECT_EQ(RoffEscape("a\\b"), "a\\eb");
  EXPECT_EQ(RoffEscape(".start"), "\\&.start");
  EXPECT_EQ(RoffEscape("'quote"), "\\&'quote");
}

TEST(ManPage, EveryLineIsTextOrAKnownRequest) {
  // A line starting with an unescaped '.' that is not a request this writer
  // means to use would be swallowed by roff.
  const std::string page = ManPage("1");
  size_t begin = 0;
  while (begin < page.size()) {
    size_t end = page.find('\n', begin);
    const std::string line = page.substr(begin, end - begin);
    begin = end + 1;
    if (line.empty() || line[0] != '.') continue;
    const bool known = line.rfind(".TH ", 0) == 0 || line.rfind(".SH ", 0) == 0 || line == ".TP" || line == ".PP" ||
                       line == ".br" || line.rfind(".B ", 0) == 0 || line.rfind(".\\\"", 0) == 0;
    EXPECT_TRUE(known) << line;
  }
}

}  // namespace
}  // namespace ssebridge
