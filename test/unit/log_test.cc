// Unit tests for the log limiter and the line formats (include/ssebridge/log.h).

#include "ssebridge/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ssebridge {
namespace {

TEST(LogLimiterTest, OneRecordPerIntervalAndCountsTheRest) {
  LogLimiter throttle(1000);
  uint64_t suppressed = 99;
  ASSERT_TRUE(throttle.Allow(5, &suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(throttle.Allow(5, &suppressed));
  EXPECT_FALSE(throttle.Allow(500, &suppressed));
  EXPECT_FALSE(throttle.Allow(1004, &suppressed));
  ASSERT_TRUE(throttle.Allow(1005, &suppressed));
  EXPECT_EQ(suppressed, 3u);
  ASSERT_TRUE(throttle.Allow(5000, &suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogLimiterTest, FirstRecordPassesEvenAtTimeZero) {
  LogLimiter throttle(10000);
  uint64_t suppressed = 0;
  EXPECT_TRUE(throttle.Allow(0, &suppressed));
  EXPECT_FALSE(throttle.Allow(0, &suppressed));
}

TEST(LogFormatTest, ParsesTextAndJsonOnly) {
  LogFormat format = LogFormat::kText;
  EXPECT_TRUE(ParseLogFormat("json", &format));
  EXPECT_EQ(format, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", &format));
  EXPECT_EQ(format, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("JSON", &format));
  EXPECT_FALSE(ParseLogFormat("", &format));
}

TEST(LogFormatTest, TextIsTimeLevelMessageThenKeyValues) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "2026-12-03T06:00:00.000Z", LogLevel::kWarn, "plain", {}),
            "2026-12-03T06:00:00.000Z WARN plain");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, "T", LogLevel::kInfo, "stream ended",
                          {{"peer", "127.0.0.1:5"}, {"events", "3", true}, {"reason", "client-closed"}}),
            "T INFO stream ended peer=127.0.0.1:5 events=3 reason=client-closed");
}

TEST(LogFormatTest, TextQuotesValuesThatWouldBreakTheKeyValueSplit) {
  const std::string line = FormatLogLine(LogFormat::kText, "T", LogLevel::kInfo, "m",
                                         {{"a", ""}, {"b", "two words"}, {"c", "x=y"}, {"d", "q\"\n"}});
  EXPECT_EQ(line, "T INFO m a=\"\" b=\"two words\" c=\"x=y\" d=\"q\\\"\\n\"");
}

TEST(LogFormatTest, JsonIsOneObjectWithTimeLevelMsgAndTheFields) {
  const std::string line =
      FormatLogLine(LogFormat::kJson, "2026-12-03T06:00:00.000Z", LogLevel::kError, "bad \"thing\"\n",
                    {{"peer", "[::1]:80"}, {"bytes", "1234", true}});
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one record, one line";
  nlohmann::json record = nlohmann::json::parse(line);
  EXPECT_EQ(record["time"], "2026-12-03T06:00:00.000Z");
  EXPECT_EQ(record["level"], "error");
  EXPECT_EQ(record["msg"], "bad \"thing\"\n");
  EXPECT_EQ(record["peer"], "[::1]:80");
  EXPECT_EQ(record["bytes"], 1234);
  EXPECT_EQ(record.size(), 5u);
}

TEST(LogFormatTest, JsonStaysValidWhenAValueIsNotUtf8) {
  const std::string line = FormatLogLine(LogFormat::kJson, "T", LogLevel::kInfo, "caf\xc3\xa9",
                                         {{"path", "/a\xff\"b"}});
  nlohmann::json record = nlohmann::json::parse(line);  // Throws on invalid UTF-8.
  EXPECT_EQ(record["msg"], "caf\xc3\xa9");  // Valid UTF-8 is kept as it is.
  EXPECT_EQ(record["path"], "/a\u00ff\"b");
}

}  // namespace
}  // namespace ssebridge
