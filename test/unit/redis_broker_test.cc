// Unit test for the compiled-in publish script (include/ssebridge/redis_broker.h):
// it must be byte-for-byte the file operators can run with redis-cli --eval.

#include "ssebridge/redis_broker.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

TEST(PublishScriptTest, MatchesDeployFileByteForByte) {
  const std::string path = std::string(SSEBRIDGE_SOURCE_DIR) + "/deploy/redis/publish.lua";
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << "cannot open " << path;
  std::ostringstream contents;
  contents << file.rdbuf();
  const std::string on_disk = contents.str();
  ASSERT_NE(kPublishScript, nullptr);
  const std::string compiled = kPublishScript;
  ASSERT_FALSE(on_disk.empty());
  EXPECT_EQ(compiled.size(), on_disk.size());
  EXPECT_EQ(compiled, on_disk);
}

TEST(PublishScriptTest, AppendsIdSuffixTheEnvelopeDecoderExpects) {
  // EncodeEnvelopeHead() output is completed by the script with ,"id":"<id>"}.
  const std::string script = kPublishScript;
  EXPECT_NE(script.find(R"(ARGV[1] .. ',"id":"' .. id .. '"}')"), std::string::npos);
}

}  // namespace
}  // namespace ssebridge
