// The Lua scripts are compiled in from deploy/redis/*.lua by CMake; operators
// run the same files with redis-cli --eval. They must stay byte-identical.
#include "ssebridge/redis_scripts.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "ssebridge/envelope.h"
#include "ssebridge/publish_request.h"

namespace ssebridge {
namespace {

std::string ReadSource(const std::string& relative) {
  std::ifstream file(std::string(SSEBRIDGE_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

TEST(RedisScriptsTest, CompiledScriptsMatchDeployFilesByteForByte) {
  const std::string publish = ReadSource("deploy/redis/publish.lua");
  const std::string fetch = ReadSource("deploy/redis/fetch.lua");
  ASSERT_FALSE(publish.empty());
  ASSERT_FALSE(fetch.empty());
  EXPECT_EQ(std::string(kPublishScript), publish);
  EXPECT_EQ(std::string(kFetchScript), fetch);
  const std::string drain = ReadSource("deploy/redis/drain_user.lua");
  ASSERT_FALSE(drain.empty());
  EXPECT_EQ(std::string(kDrainUserScript), drain);
}

TEST(RedisScriptsTest, PublishScriptCompletesTheEnvelopeHeadIntoAResumableEnvelope) {
  // EncodeEnvelopeHead() output is completed by the script; simulate its
  // string concatenation and check the decoder takes the id as resumable.
  const std::string script = kPublishScript;
  const std::string suffix_code = R"(',"id":"' .. id_text .. '","resumable":true}')";
  ASSERT_NE(script.find(suffix_code), std::string::npos);
  PublishRequest request;
  request.channels = {"c"};
  request.event = "update";
  request.data = R"({"b":1,"a":2})";
  request.data_is_json = true;
  std::string envelope = EncodeEnvelopeHead(request) + R"(,"id":"1795309420458852","resumable":true})";
  Message message;
  ASSERT_TRUE(DecodeEnvelope(envelope, &message));
  EXPECT_EQ(message.event, "update");
  EXPECT_EQ(message.data, R"({"b":1,"a":2})");
  EXPECT_EQ(message.id, "1795309420458852");
  EXPECT_EQ(message.sequence, 1795309420458852u);
}

TEST(RedisScriptsTest, ApplicationIdsAreNotTreatedAsResumable) {
  Message message;
  ASSERT_TRUE(DecodeEnvelope(R"({"event":"e","data":1,"id":"42"})", &message));
  EXPECT_EQ(message.id, "42");
  EXPECT_EQ(message.sequence, 0u);
}

}  // namespace
}  // namespace ssebridge
