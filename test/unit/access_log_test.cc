// Unit tests for the access log's fields (include/ssebridge/access_log.h).
// What a real stream and a real rejection write is checked end to end in
// test/integration/logs_test.cc.
#include "ssebridge/access_log.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace ssebridge {
namespace {

std::map<std::string, LogField> ByKey(const std::vector<LogField>& fields) {
  std::map<std::string, LogField> map;
  for (const LogField& field : fields) EXPECT_TRUE(map.emplace(field.key, field).second) << field.key;
  return map;
}

TEST(AccessLog, StreamFieldsNameEveryFactWithNumbersAsNumbers) {
  StreamAccess access;
  access.peer = "10.0.0.1:5555";
  access.channels = "news,sport.*";
  access.channel_count = 2;
  access.duration_ms = 1500;
  access.events = 7;
  access.bytes = 4096;
  access.reason = stream_end::kDrain;
  auto fields = ByKey(StreamAccessFields(access));
  EXPECT_EQ(fields.at("peer").value, "10.0.0.1:5555");
  EXPECT_EQ(fields.at("channels").value, "news,sport.*");
  EXPECT_EQ(fields.at("reason").value, "drain");
  for (const char* key : {"channel_count", "duration_ms", "events", "bytes"}) {
    EXPECT_TRUE(fields.at(key).number) << key;
  }
  EXPECT_EQ(fields.at("duration_ms").value, "1500");
  EXPECT_EQ(fields.at("bytes").value, "4096");
  EXPECT_FALSE(fields.at("peer").number);
}

TEST(AccessLog, RejectedRequestRedactsTheAccessTokenAndKeepsTheRestOfThePath) {
  RejectedRequest request{403, "not allowed", "127.0.0.1:1", "GET",
                          "/events/secret?access_token=eyJhbGciOi.payload.sig&lastEventId=5"};
  auto fields = ByKey(RejectedRequestFields(request));
  EXPECT_EQ(fields.at("path").value, "/events/secret?access_token=REDACTED&lastEventId=5");
  EXPECT_EQ(fields.at("status").value, "403");
  EXPECT_TRUE(fields.at("status").number);
  EXPECT_EQ(fields.at("reason").value, "not allowed");
  EXPECT_EQ(fields.at("method").value, "GET");
}

TEST(AccessLog, ARequestThatWasNeverParsedHasDashesForMethodAndPath) {
  auto fields = ByKey(RejectedRequestFields({400, "bad request", "127.0.0.1:1", "", ""}));
  EXPECT_EQ(fields.at("method").value, "-");
  EXPECT_EQ(fields.at("path").value, "-");
}

}  // namespace
}  // namespace ssebridge
