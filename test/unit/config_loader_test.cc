// Unit tests for the configuration loader (include/ssebridge/config.h):
// defaults, the three sources (flag, SSEBRIDGE_* env, JSON file), their
// precedence, and error messages naming the offending option. The environment
// and the filesystem are injected fakes.

#include "ssebridge/config_loader.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ssebridge {
namespace {

using testing::HasSubstr;

// Fake process environment and filesystem.
class ConfigTest : public testing::Test {
 protected:
  ConfigLoadResult Load(const std::vector<std::string>& args) {
    EnvLookup env = [this](const std::string& name) -> std::optional<std::string> {
      env_lookups_.push_back(name);
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    FileReader reader = [this](const std::string& path) -> std::optional<std::string> {
      files_read_.push_back(path);
      auto it = files_.find(path);
      if (it == files_.end()) return std::nullopt;
      return it->second;
    };
    return LoadConfig(args, env, reader);
  }

  // Loads and asserts success.
  Config LoadOk(const std::vector<std::string>& args) {
    ConfigLoadResult result = Load(args);
    EXPECT_EQ(result.error, "");
    return result.config;
  }

  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> files_;
  std::vector<std::string> env_lookups_;
  std::vector<std::string> files_read_;
};

TEST_F(ConfigTest, DefaultsWithNoInput) {
  ConfigLoadResult result = Load({});
  ASSERT_EQ(result.error, "");
  EXPECT_FALSE(result.show_help);
  EXPECT_FALSE(result.show_version);
  const Config& c = result.config;
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].host, "127.0.0.1");
  EXPECT_EQ(c.listen[0].port, 8080);
  EXPECT_EQ(c.redis_url, "");
  EXPECT_EQ(c.base_path, "");
  EXPECT_EQ(c.heartbeat_seconds, 15u);
  EXPECT_EQ(c.retry_ms, 3000u);
  EXPECT_TRUE(c.cors_origins.empty());
  EXPECT_EQ(c.max_connections, 0u);
  EXPECT_EQ(c.max_body_bytes, 1u << 20);
  EXPECT_EQ(c.client_buffer_bytes, 1u << 20);
  EXPECT_EQ(c.max_header_bytes, 16u << 10);
  EXPECT_EQ(c.header_timeout_seconds, 10u);
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_TRUE(c.redis_envelope);
  EXPECT_EQ(c.max_channels_per_publish, 100u);
  EXPECT_EQ(c.max_channels_per_subscribe, 1000u);
  EXPECT_EQ(c.history_max_channels, 100000u);
  EXPECT_EQ(c.max_replay_messages, 10000u);
  EXPECT_EQ(c.max_stream_age_seconds, 0u);  // Streams never age unless asked.
  EXPECT_TRUE(files_read_.empty());  // No --config, no SSEBRIDGE_CONFIG: no file is read.
}

// --- Each option from each source -------------------------------------------

struct OptionCase {
  const char* name;   // Option name: flag "--name", env SSEBRIDGE_NAME, file key "name".
  const char* value;  // Text value (a JSON string in the file).
  std::function<bool(const Config&)> applied;
};

std::vector<OptionCase> OptionCases() {
  return {
      {"listen", "0.0.0.0:9000", [](const Config& c) { return c.listen.size() == 1 && c.listen[0].host == "0.0.0.0" && c.listen[0].port == 9000; }},
      {"redis", "redis://cache:6380/2", [](const Config& c) { return c.redis_url == "redis://cache:6380/2"; }},
      {"base-path", "/sse", [](const Config& c) { return c.base_path == "/sse"; }},
      {"heartbeat", "30", [](const Config& c) { return c.heartbeat_seconds == 30; }},
      {"retry", "500", [](const Config& c) { return c.retry_ms == 500; }},
      {"cors-origin", "https://app.example", [](const Config& c) {
         return c.cors_origins == std::vector<std::string>{"https://app.example"};
       }},
      {"max-connections", "1000", [](const Config& c) { return c.max_connections == 1000; }},
      {"max-body-bytes", "2048", [](const Config& c) { return c.max_body_bytes == 2048; }},
      {"client-buffer-bytes", "65536", [](const Config& c) { return c.client_buffer_bytes == 65536; }},
      {"max-header-bytes", "4096", [](const Config& c) { return c.max_header_bytes == 4096; }},
      {"header-timeout", "3", [](const Config& c) { return c.header_timeout_seconds == 3; }},
      {"log-level", "debug", [](const Config& c) { return c.log_level == LogLevel::kDebug; }},
      {"redis-envelope", "off", [](const Config& c) { return !c.redis_envelope; }},
      {"max-channels-per-publish", "7", [](const Config& c) { return c.max_channels_per_publish == 7; }},
      {"max-channels-per-subscribe", "9", [](const Config& c) { return c.max_channels_per_subscribe == 9; }},
      {"history-max-channels", "500", [](const Config& c) { return c.history_max_channels == 500; }},
      {"max-replay-messages", "25", [](const Config& c) { return c.max_replay_messages == 25; }},
      {"max-stream-age", "60", [](const Config& c) { return c.max_stream_age_seconds == 60; }},
      {"redis-connect-timeout", "250", [](const Config& c) { return c.redis_connect_timeout_ms == 250; }},
      {"redis-command-timeout", "1500", [](const Config& c) { return c.redis_command_timeout_ms == 1500; }},
      {"redis-sentinel-password", "s3nt", [](const Config& c) { return c.redis_sentinel_password == "s3nt"; }},
  };
}

std::string EnvNameFor(const std::string& option) {
  std::string name = "SSEBRIDGE_";
  for (char ch : option) name += ch == '-' ? '_' : static_cast<char>(toupper(static_cast<unsigned char>(ch)));
  return name;
}

TEST_F(ConfigTest, EveryOptionAsSeparateFlag) {
  for (const OptionCase& option : OptionCases()) {
    ConfigLoadResult result = Load({std::string("--") + option.name, option.value});
    ASSERT_EQ(result.error, "") << option.name;
    EXPECT_TRUE(option.applied(result.config)) << option.name;
  }
}

TEST_F(ConfigTest, EveryOptionAsFlagWithEquals) {
  for (const OptionCase& option : OptionCases()) {
    ConfigLoadResult result = Load({std::string("--") + option.name + "=" + option.value});
    ASSERT_EQ(result.error, "") << option.name;
    EXPECT_TRUE(option.applied(result.config)) << option.name;
  }
}

TEST_F(ConfigTest, EveryOptionFromEnvironment) {
  for (const OptionCase& option : OptionCases()) {
    env_.clear();
    env_[EnvNameFor(option.name)] = option.value;
    ConfigLoadResult result = Load({});
    ASSERT_EQ(result.error, "") << option.name;
    EXPECT_TRUE(option.applied(result.config)) << EnvNameFor(option.name);
  }
}

TEST_F(ConfigTest, EnvironmentNamesAreUpperCaseWithUnderscores) {
  Load({});
  for (const char* name : {"SSEBRIDGE_LISTEN", "SSEBRIDGE_BASE_PATH", "SSEBRIDGE_CORS_ORIGIN",
                           "SSEBRIDGE_MAX_BODY_BYTES", "SSEBRIDGE_REDIS_ENVELOPE", "SSEBRIDGE_CONFIG"}) {
    EXPECT_NE(std::find(env_lookups_.begin(), env_lookups_.end(), name), env_lookups_.end()) << name;
  }
}

TEST_F(ConfigTest, EveryOptionFromJsonFileAsString) {
  for (const OptionCase& option : OptionCases()) {
    files_["/etc/ssebridge.json"] = std::string("{\"") + option.name + "\": \"" + option.value + "\"}";
    ConfigLoadResult result = Load({"--config", "/etc/ssebridge.json"});
    ASSERT_EQ(result.error, "") << option.name;
    EXPECT_TRUE(option.applied(result.config)) << option.name;
  }
}

TEST_F(ConfigTest, JsonFileAcceptsNumbersAndBooleans) {
  files_["c.json"] = R"({"heartbeat": 42, "max-body-bytes": 999, "redis-envelope": false})";
  Config c = LoadOk({"--config=c.json"});
  EXPECT_EQ(c.heartbeat_seconds, 42u);
  EXPECT_EQ(c.max_body_bytes, 999u);
  EXPECT_FALSE(c.redis_envelope);
}

TEST_F(ConfigTest, ConfigPathFromEnvironment) {
  env_["SSEBRIDGE_CONFIG"] = "/from/env.json";
  files_["/from/env.json"] = R"({"heartbeat": 7})";
  EXPECT_EQ(LoadOk({}).heartbeat_seconds, 7u);
  EXPECT_EQ(files_read_, std::vector<std::string>{"/from/env.json"});
}

TEST_F(ConfigTest, ConfigFlagOverridesConfigEnvironment) {
  env_["SSEBRIDGE_CONFIG"] = "/from/env.json";
  files_["/from/env.json"] = R"({"heartbeat": 7})";
  files_["/from/flag.json"] = R"({"heartbeat": 8})";
  EXPECT_EQ(LoadOk({"--config", "/from/flag.json"}).heartbeat_seconds, 8u);
}

// --- Precedence: flag > env > file > default ----------------------------------

TEST_F(ConfigTest, ListenPrecedence) {
  files_["c.json"] = R"({"listen": "10.0.0.1:1001"})";
  EXPECT_EQ(LoadOk({"--config", "c.json"}).listen.at(0).port, 1001);

  env_["SSEBRIDGE_LISTEN"] = "10.0.0.2:1002";
  Config c = LoadOk({"--config", "c.json"});
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].host, "10.0.0.2");
  EXPECT_EQ(c.listen[0].port, 1002);

  c = LoadOk({"--config", "c.json", "--listen", "10.0.0.3:1003"});
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].host, "10.0.0.3");
  EXPECT_EQ(c.listen[0].port, 1003);
}

TEST_F(ConfigTest, HeartbeatPrecedence) {
  EXPECT_EQ(LoadOk({}).heartbeat_seconds, 15u);
  files_["c.json"] = R"({"heartbeat": 20})";
  EXPECT_EQ(LoadOk({"--config", "c.json"}).heartbeat_seconds, 20u);
  env_["SSEBRIDGE_HEARTBEAT"] = "25";
  EXPECT_EQ(LoadOk({"--config", "c.json"}).heartbeat_seconds, 25u);
  EXPECT_EQ(LoadOk({"--heartbeat", "30", "--config", "c.json"}).heartbeat_seconds, 30u);
}

TEST_F(ConfigTest, RepeatedScalarFlagLastOneWins) {
  EXPECT_EQ(LoadOk({"--heartbeat", "5", "--heartbeat", "6"}).heartbeat_seconds, 6u);
}

TEST_F(ConfigTest, CorsOriginFromEachSourceAndPrecedence) {
  files_["c.json"] = R"({"cors-origin": ["https://file-a", "https://file-b"]})";
  EXPECT_EQ(LoadOk({"--config", "c.json"}).cors_origins,
            (std::vector<std::string>{"https://file-a", "https://file-b"}));

  // Env is a comma-separated list (spaces around items trimmed) and replaces the file's list.
  env_["SSEBRIDGE_CORS_ORIGIN"] = "https://env-a, https://env-b";
  EXPECT_EQ(LoadOk({"--config", "c.json"}).cors_origins,
            (std::vector<std::string>{"https://env-a", "https://env-b"}));

  // Repeated flags accumulate and replace both lower sources.
  EXPECT_EQ(LoadOk({"--config", "c.json", "--cors-origin", "https://flag-a", "--cors-origin=https://flag-b"})
                .cors_origins,
            (std::vector<std::string>{"https://flag-a", "https://flag-b"}));
}

TEST_F(ConfigTest, CorsOriginFileScalarIsOneOrigin) {
  files_["c.json"] = R"({"cors-origin": "*"})";
  EXPECT_EQ(LoadOk({"--config", "c.json"}).cors_origins, std::vector<std::string>{"*"});
}

TEST_F(ConfigTest, CorsOriginEmptyFlagIsAnError) {
  ConfigLoadResult result = Load({"--cors-origin", ""});
  EXPECT_THAT(result.error, HasSubstr("--cors-origin"));
}

TEST_F(ConfigTest, SourcesMixPerOption) {
  // Each option independently takes its highest source.
  files_["c.json"] = R"({"heartbeat": 20, "retry": 100, "log-level": "warn"})";
  env_["SSEBRIDGE_RETRY"] = "200";
  Config c = LoadOk({"--config", "c.json", "--log-level", "error"});
  EXPECT_EQ(c.heartbeat_seconds, 20u);
  EXPECT_EQ(c.retry_ms, 200u);
  EXPECT_EQ(c.log_level, LogLevel::kError);
}

// --- Errors name the option ---------------------------------------------------

TEST_F(ConfigTest, InvalidFlagValueNamesTheOption) {
  ConfigLoadResult result = Load({"--heartbeat", "soon"});
  EXPECT_THAT(result.error, HasSubstr("--heartbeat"));
}

TEST_F(ConfigTest, InvalidEnvValueNamesTheOption) {
  env_["SSEBRIDGE_MAX_BODY_BYTES"] = "-1";
  EXPECT_THAT(Load({}).error, HasSubstr("--max-body-bytes"));
}

TEST_F(ConfigTest, InvalidFileValueNamesTheOption) {
  files_["c.json"] = R"({"retry": "fast"})";
  EXPECT_THAT(Load({"--config", "c.json"}).error, HasSubstr("--retry"));
}

TEST_F(ConfigTest, OutOfRangeValuesAreRejected) {
  EXPECT_THAT(Load({"--heartbeat", "0"}).error, HasSubstr("--heartbeat"));
  EXPECT_THAT(Load({"--heartbeat", "86401"}).error, HasSubstr("--heartbeat"));
  EXPECT_THAT(Load({"--max-header-bytes", "255"}).error, HasSubstr("--max-header-bytes"));
  EXPECT_THAT(Load({"--client-buffer-bytes", "1023"}).error, HasSubstr("--client-buffer-bytes"));
  EXPECT_THAT(Load({"--max-connections", "0"}).error, HasSubstr("--max-connections"));
  // A cap of 0 channels would silently disable history: --history-size 0 does that.
  EXPECT_THAT(Load({"--history-max-channels", "0"}).error, HasSubstr("--history-max-channels"));
  EXPECT_THAT(Load({"--max-replay-messages", "0"}).error, HasSubstr("--max-replay-messages"));
  EXPECT_THAT(Load({"--retry", "99999999999999999999999"}).error, HasSubstr("--retry"));
  EXPECT_EQ(Load({"--heartbeat", "86400"}).error, "");
  // Thirty days at most: the age buckets' jitter arithmetic stays in 64 bits.
  EXPECT_THAT(Load({"--max-stream-age", "2592001"}).error, HasSubstr("--max-stream-age"));
  EXPECT_EQ(Load({"--max-stream-age", "2592000"}).error, "");
}

TEST_F(ConfigTest, NonNumericValuesAreRejected) {
  for (const char* bad : {"", "12a", "1.5", "-3", " 4", "0x10"}) {
    EXPECT_THAT(Load({"--retry", bad}).error, HasSubstr("--retry")) << "'" << bad << "'";
  }
}

TEST_F(ConfigTest, InvalidLogLevelAndOnOff) {
  EXPECT_THAT(Load({"--log-level", "verbose"}).error, HasSubstr("--log-level"));
  EXPECT_THAT(Load({"--redis-envelope", "maybe"}).error, HasSubstr("--redis-envelope"));
  EXPECT_TRUE(LoadOk({"--redis-envelope", "on"}).redis_envelope);
  EXPECT_EQ(LoadOk({"--log-level", "off"}).log_level, LogLevel::kOff);
}

TEST_F(ConfigTest, UnknownFlagIsAnError) {
  ConfigLoadResult result = Load({"--no-such-option", "1"});
  EXPECT_THAT(result.error, HasSubstr("--no-such-option"));
}

TEST_F(ConfigTest, PositionalArgumentIsAnError) {
  EXPECT_THAT(Load({"stray"}).error, HasSubstr("stray"));
}

TEST_F(ConfigTest, FlagWithoutValueIsAnError) {
  EXPECT_THAT(Load({"--listen"}).error, HasSubstr("--listen"));
  EXPECT_THAT(Load({"--config"}).error, HasSubstr("--config"));
}

TEST_F(ConfigTest, UnknownFileKeyIsAnError) {
  files_["c.json"] = R"({"heartbeat": 5, "hartbeat": 6})";
  ConfigLoadResult result = Load({"--config", "c.json"});
  EXPECT_THAT(result.error, HasSubstr("hartbeat"));
}

TEST_F(ConfigTest, MissingFileIsAnError) {
  ConfigLoadResult result = Load({"--config", "/nope.json"});
  EXPECT_THAT(result.error, HasSubstr("/nope.json"));
  EXPECT_THAT(result.error, HasSubstr("config"));
}

TEST_F(ConfigTest, NonObjectFileIsAnError) {
  files_["array.json"] = R"(["listen", ":80"])";
  EXPECT_THAT(Load({"--config", "array.json"}).error, HasSubstr("array.json"));
  files_["broken.json"] = R"({"listen": )";
  EXPECT_THAT(Load({"--config", "broken.json"}).error, HasSubstr("broken.json"));
  files_["scalar.json"] = "42";
  EXPECT_THAT(Load({"--config", "scalar.json"}).error, HasSubstr("scalar.json"));
}

TEST_F(ConfigTest, ArrayForSingleValuedFileKeyIsAnError) {
  files_["c.json"] = R"({"heartbeat": [1, 2]})";
  EXPECT_THAT(Load({"--config", "c.json"}).error, HasSubstr("--heartbeat"));
}

TEST_F(ConfigTest, UnsupportedJsonValueTypesAreErrors) {
  files_["c.json"] = R"({"heartbeat": 1.5})";
  EXPECT_THAT(Load({"--config", "c.json"}).error, HasSubstr("--heartbeat"));
  files_["c.json"] = R"({"listen": {"host": "x"}})";
  EXPECT_THAT(Load({"--config", "c.json"}).error, HasSubstr("--listen"));
  files_["c.json"] = R"({"retry": null})";
  EXPECT_THAT(Load({"--config", "c.json"}).error, HasSubstr("--retry"));
}

// --- --help / --version ---------------------------------------------------------

TEST_F(ConfigTest, HelpFlags) {
  EXPECT_TRUE(Load({"--help"}).show_help);
  EXPECT_TRUE(Load({"-h"}).show_help);
  EXPECT_FALSE(Load({"--help"}).show_version);
}

TEST_F(ConfigTest, VersionFlag) {
  ConfigLoadResult result = Load({"--version"});
  EXPECT_TRUE(result.show_version);
  EXPECT_FALSE(result.show_help);
  EXPECT_EQ(result.error, "");
}

TEST_F(ConfigTest, PrintManIsAnActionLikeHelpAndReadsNoFile) {
  env_["SSEBRIDGE_CONFIG"] = "/missing.json";
  ConfigLoadResult result = Load({"--print-man"});
  EXPECT_TRUE(result.show_man);
  EXPECT_FALSE(result.show_help);
  EXPECT_EQ(result.error, "");
  EXPECT_FALSE(Load({}).show_man);
}

TEST_F(ConfigTest, HelpDoesNotReadTheConfigFile) {
  // --help must work even when the configured file is broken or missing.
  env_["SSEBRIDGE_CONFIG"] = "/missing.json";
  ConfigLoadResult result = Load({"--help"});
  EXPECT_TRUE(result.show_help);
  EXPECT_EQ(result.error, "");
}

TEST(ShippedConfigTest, TheExampleConfigurationLoadsWithTheRealReader) {
  // deploy/ssebridge.json is installed as /etc/ssebridge/ssebridge.json and
  // named by the unit's ExecStart: a key the table does not know would stop
  // the packaged service from starting.
  const std::string path = std::string(SSEBRIDGE_SOURCE_DIR) + "/deploy/ssebridge.json";
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  ConfigLoadResult result = LoadConfig({"--config", path}, no_env, ReadWholeFile);
  EXPECT_EQ(result.error, "");
  ASSERT_EQ(result.config.listen.size(), 1u);
  EXPECT_EQ(result.config.listen[0].host, "127.0.0.1") << "the example must not listen on every interface";
}

TEST(ConfigUsageTest, MentionsEveryOption) {
  std::string usage = ConfigUsage();
  for (const OptionCase& option : OptionCases()) {
    EXPECT_THAT(usage, HasSubstr(std::string("--") + option.name)) << option.name;
  }
  EXPECT_THAT(usage, HasSubstr("--config"));
  EXPECT_THAT(usage, HasSubstr("--help"));
  EXPECT_THAT(usage, HasSubstr("--version"));
}

// --- --listen forms ----------------------------------------------------------------

TEST_F(ConfigTest, RedisTimeoutDefaultsAndBounds) {
  Config defaults = LoadOk({});
  EXPECT_EQ(defaults.redis_connect_timeout_ms, 1000u);
  EXPECT_EQ(defaults.redis_command_timeout_ms, 5000u);
  EXPECT_EQ(defaults.redis_wait_replicas, 0u);
  EXPECT_TRUE(defaults.redis_sentinels.empty());
  EXPECT_FALSE(UsesRedis(defaults));
  EXPECT_THAT(Load({"--redis-connect-timeout", "5"}).error, HasSubstr("--redis-connect-timeout (from flag)"));
  EXPECT_THAT(Load({"--redis-command-timeout", "600001"}).error, HasSubstr("out of range"));
}

TEST_F(ConfigTest, RedisSentinelFromEachSourceWithItsMaster) {
  Config flags = LoadOk({"--redis-sentinel", "10.0.0.1:26379,10.0.0.2:26380", "--redis-sentinel", "[::1]:26381",
                         "--redis-master", "mymaster", "--redis-wait-replicas", "1"});
  ASSERT_EQ(flags.redis_sentinels.size(), 3u);
  EXPECT_EQ(flags.redis_sentinels[1].host, "10.0.0.2");
  EXPECT_EQ(flags.redis_sentinels[1].port, 26380);
  EXPECT_EQ(flags.redis_sentinels[2].host, "::1");
  EXPECT_EQ(flags.redis_master, "mymaster");
  EXPECT_EQ(flags.redis_wait_replicas, 1u);
  EXPECT_TRUE(UsesRedis(flags));  // Redis mode without --redis.

  env_["SSEBRIDGE_REDIS_SENTINEL"] = "a:1,b:2";
  env_["SSEBRIDGE_REDIS_MASTER"] = "m";
  Config env = LoadOk({});
  ASSERT_EQ(env.redis_sentinels.size(), 2u);
  EXPECT_EQ(env.redis_sentinels[0].host, "a");
  // A flag replaces the environment's list rather than adding to it.
  Config both = LoadOk({"--redis-sentinel", "c:3"});
  ASSERT_EQ(both.redis_sentinels.size(), 1u);
  EXPECT_EQ(both.redis_sentinels[0].host, "c");
}

TEST_F(ConfigTest, RedisSentinelOptionsThatCannotWorkAreRefused) {
  EXPECT_THAT(Load({"--redis-sentinel", "a:1"}).error, HasSubstr("--redis-sentinel needs --redis-master"));
  EXPECT_THAT(Load({"--redis-master", "m"}).error, HasSubstr("--redis-master needs --redis-sentinel"));
  EXPECT_THAT(Load({"--redis-wait-replicas", "1"}).error, HasSubstr("--redis-wait-replicas needs --redis"));
  EXPECT_THAT(Load({"--redis-sentinel", "a", "--redis-master", "m"}).error,
              HasSubstr("--redis-sentinel (from flag): expected host:port"));
  EXPECT_THAT(Load({"--redis-master", "", "--redis-sentinel", "a:1"}).error, HasSubstr("must not be empty"));
  EXPECT_EQ(Load({"--redis", "redis://h", "--redis-wait-replicas", "2"}).error, "");
}

TEST_F(ConfigTest, ListenIpv4) {
  Config c = LoadOk({"--listen", "127.0.0.1:80"});
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].host, "127.0.0.1");
  EXPECT_EQ(c.listen[0].port, 80);
}

TEST_F(ConfigTest, ListenBracketedIpv6) {
  Config c = LoadOk({"--listen", "[::1]:8080"});
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].host, "::1");
  EXPECT_EQ(c.listen[0].port, 8080);
}

TEST_F(ConfigTest, ListenPortOnlyMeansAllInterfaces) {
  Config c = LoadOk({"--listen", ":8080"});
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].host, "0.0.0.0");
  EXPECT_EQ(c.listen[0].port, 8080);
}

TEST_F(ConfigTest, ListenPortZeroAndMax) {
  EXPECT_EQ(LoadOk({"--listen", "127.0.0.1:0"}).listen.at(0).port, 0);
  EXPECT_EQ(LoadOk({"--listen", "127.0.0.1:65535"}).listen.at(0).port, 65535);
}

TEST_F(ConfigTest, ListenBadForms) {
  for (const char* bad : {"127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:", "127.0.0.1", "[::1]", "[::1]8080",
                          "[::1:8080", "host:-1"}) {
    EXPECT_THAT(Load({"--listen", bad}).error, HasSubstr("--listen")) << bad;
  }
}

// --- --base-path normalisation -------------------------------------------------------

TEST_F(ConfigTest, BasePathNormalisation) {
  EXPECT_EQ(LoadOk({"--base-path", "/sse/"}).base_path, "/sse");
  EXPECT_EQ(LoadOk({"--base-path", "/sse"}).base_path, "/sse");
  EXPECT_EQ(LoadOk({"--base-path", "/a/b//"}).base_path, "/a/b");
  EXPECT_EQ(LoadOk({"--base-path", "/"}).base_path, "");
  EXPECT_EQ(LoadOk({"--base-path", ""}).base_path, "");
}

TEST_F(ConfigTest, BasePathMustBeAbsolutePlainPath) {
  for (const char* bad : {"sse", "sse/", "/sse?x=1", "/sse#top", "/s%20e", "/s e"}) {
    EXPECT_THAT(Load({"--base-path", bad}).error, HasSubstr("--base-path")) << bad;
  }
}

// --- --redis URL validation ----------------------------------------------------------

TEST_F(ConfigTest, RedisUrlIsValidatedAndKept) {
  EXPECT_EQ(LoadOk({"--redis", "redis://localhost"}).redis_url, "redis://localhost");
  EXPECT_EQ(LoadOk({"--redis", "unix:///run/redis.sock"}).redis_url, "unix:///run/redis.sock");
  // The parsed address travels with the URL, so nothing parses it twice.
  Config parsed = LoadOk({"--redis", "redis://:secret@cache:6380/2"});
  EXPECT_FALSE(parsed.redis_address.is_unix);
  EXPECT_EQ(parsed.redis_address.host, "cache");
  EXPECT_EQ(parsed.redis_address.port, 6380);
  EXPECT_EQ(parsed.redis_address.password, "secret");
  EXPECT_EQ(parsed.redis_address.database, 2);
  EXPECT_TRUE(LoadOk({"--redis", "unix:///run/redis.sock"}).redis_address.is_unix);
  // Empty means the embedded broker, overriding a lower source.
  env_["SSEBRIDGE_REDIS"] = "redis://from-env";
  EXPECT_EQ(LoadOk({"--redis", ""}).redis_url, "");
}

TEST_F(ConfigTest, InvalidRedisUrlIsAnError) {
  for (const char* bad : {"localhost:6379", "http://localhost", "redis://", "redis://host:99999", "unix://relative"}) {
    EXPECT_THAT(Load({"--redis", bad}).error, HasSubstr("--redis")) << bad;
  }
}

TEST_F(ConfigTest, ChannelLimitsMustBePositive) {
  EXPECT_THAT(Load({"--max-channels-per-publish", "0"}).error, HasSubstr("--max-channels-per-publish"));
  EXPECT_THAT(Load({"--max-channels-per-subscribe", "0"}).error, HasSubstr("--max-channels-per-subscribe"));
}

// The config file is trusted, but a hostile one must still give an error,
// not a crash: nesting is refused by the JSON object check, iteratively.
TEST_F(ConfigTest, DeeplyNestedFileIsAnErrorNotACrash) {
  files_["deep.json"] = "{\"cors-origin\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_NE(Load({"--config", "deep.json"}).error, "");
  files_["deep2.json"] = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_NE(Load({"--config", "deep2.json"}).error, "");
}

// W3C SSE-Server compatibility options (docs/compat.md).
TEST_F(ConfigTest, CompatibilityOptionsAreOffByDefault) {
  Config config = LoadOk({});
  EXPECT_FALSE(config.empty_subscribe_all);
  EXPECT_FALSE(config.allow_get_publish);
  EXPECT_FALSE(config.allow_commands);
  EXPECT_FALSE(config.control_enabled);
  EXPECT_EQ(config.fifo_path, "");
}

TEST_F(ConfigTest, SwitchesTakeNoValueAsFlags) {
  Config config = LoadOk({"--empty-subscribe-all", "--allow-get-publish", "--allow-commands", "--heartbeat", "5"});
  EXPECT_TRUE(config.empty_subscribe_all);
  EXPECT_TRUE(config.allow_get_publish);
  EXPECT_TRUE(config.allow_commands);
  EXPECT_EQ(config.heartbeat_seconds, 5u);  // The next flag was not taken as a value.
  EXPECT_FALSE(LoadOk({"--allow-commands=off"}).allow_commands);
  EXPECT_THAT(Load({"--allow-commands=maybe"}).error, HasSubstr("--allow-commands"));
}

TEST_F(ConfigTest, SwitchesFromTheEnvironmentAndTheFile) {
  env_["SSEBRIDGE_ALLOW_GET_PUBLISH"] = "on";
  files_["c.json"] = R"({"empty-subscribe-all": true, "allow-commands": "yes", "fifo": "/run/sse.fifo"})";
  Config config = LoadOk({"--config", "c.json"});
  EXPECT_TRUE(config.allow_get_publish);
  EXPECT_TRUE(config.empty_subscribe_all);
  EXPECT_TRUE(config.allow_commands);
  EXPECT_EQ(config.fifo_path, "/run/sse.fifo");
  EXPECT_FALSE(LoadOk({"--config", "c.json", "--empty-subscribe-all=off"}).empty_subscribe_all);
}

TEST_F(ConfigTest, ControlPortIsOnLoopbackUnlessControlListenSaysOtherwise) {
  Config port_only = LoadOk({"--control-port", "8085"});
  EXPECT_TRUE(port_only.control_enabled);
  EXPECT_EQ(port_only.control_host, "127.0.0.1");
  EXPECT_EQ(port_only.control_port, 8085);
  env_["SSEBRIDGE_CONTROL_LISTEN"] = "[::1]:9000";
  Config listen = LoadOk({});
  EXPECT_TRUE(listen.control_enabled);
  EXPECT_EQ(listen.control_host, "::1");
  EXPECT_EQ(listen.control_port, 9000);
  EXPECT_THAT(Load({"--control-port", "70000"}).error, HasSubstr("--control-port"));
  EXPECT_THAT(Load({"--control-listen", "8085"}).error, HasSubstr("--control-listen"));
  EXPECT_THAT(Load({"--control-listen", "localhost:8085"}).error, HasSubstr("expected an IP address"));
  EXPECT_EQ(LoadOk({"--control-listen", ":8085"}).control_host, "0.0.0.0");
  EXPECT_THAT(Load({"--fifo", ""}).error, HasSubstr("--fifo"));
}

// --- Several listeners, Unix sockets -------------------------------------------------

TEST_F(ConfigTest, ListenRepeatedFlagsKeepEveryAddressInOrder) {
  Config c = LoadOk({"--listen", "127.0.0.1:8080", "--listen", "unix:/run/ssebridge/a.sock", "--listen", "[::1]:81"});
  ASSERT_EQ(c.listen.size(), 3u);
  EXPECT_EQ(c.listen[0].ToString(), "127.0.0.1:8080");
  EXPECT_TRUE(c.listen[1].is_unix());
  EXPECT_EQ(c.listen[1].path, "/run/ssebridge/a.sock");
  EXPECT_EQ(c.listen[2].ToString(), "[::1]:81");
}

TEST_F(ConfigTest, ListenListInTheFileAndCommaListInTheEnvironment) {
  files_["c.json"] = R"({"listen": ["127.0.0.1:1001", "unix:/tmp/s.sock"]})";
  Config c = LoadOk({"--config", "c.json"});
  ASSERT_EQ(c.listen.size(), 2u);
  EXPECT_EQ(c.listen[1].ToString(), "unix:/tmp/s.sock");

  env_["SSEBRIDGE_LISTEN"] = "unix:/tmp/e.sock, 127.0.0.1:1002";
  c = LoadOk({"--config", "c.json"});
  ASSERT_EQ(c.listen.size(), 2u) << "the environment replaces the file's list, it does not add to it";
  EXPECT_EQ(c.listen[0].ToString(), "unix:/tmp/e.sock");
  EXPECT_EQ(c.listen[1].ToString(), "127.0.0.1:1002");
}

TEST_F(ConfigTest, ListenSameAddressTwiceIsRefused) {
  EXPECT_THAT(Load({"--listen", "unix:/tmp/a.sock", "--listen", "unix:/tmp/a.sock"}).error, HasSubstr("twice"));
  EXPECT_THAT(Load({"--listen", "127.0.0.1:80", "--listen", "127.0.0.1:80"}).error, HasSubstr("twice"));
  // Port 0 picks a new free port each time: two of them are two listeners.
  EXPECT_EQ(LoadOk({"--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0"}).listen.size(), 2u);
}

TEST_F(ConfigTest, ReusePortAndUnixSocketOptions) {
  Config defaults = LoadOk({});
  EXPECT_FALSE(defaults.reuse_port);
  EXPECT_FALSE(defaults.unix_socket_mode_set);
  EXPECT_EQ(defaults.unix_socket_uid, -1);
  EXPECT_EQ(defaults.unix_socket_gid, -1);

  Config c = LoadOk({"--reuse-port", "--unix-socket-mode", "0660", "--unix-socket-owner", "0:0"});
  EXPECT_TRUE(c.reuse_port);
  EXPECT_TRUE(c.unix_socket_mode_set);
  EXPECT_EQ(c.unix_socket_mode, 0660u);
  EXPECT_EQ(c.unix_socket_uid, 0);
  EXPECT_EQ(c.unix_socket_gid, 0);

  env_["SSEBRIDGE_REUSE_PORT"] = "on";
  EXPECT_TRUE(LoadOk({}).reuse_port);

  EXPECT_THAT(Load({"--unix-socket-mode", "0999"}).error, HasSubstr("--unix-socket-mode"));
  EXPECT_THAT(Load({"--unix-socket-mode", "1777"}).error, HasSubstr("0777"));
  EXPECT_THAT(Load({"--unix-socket-owner", "no-such-user-ssebridge"}).error, HasSubstr("no such user"));
  EXPECT_THAT(Load({"--listen", "unix:"}).error, HasSubstr("unix:/PATH"));
}

}  // namespace
}  // namespace ssebridge
