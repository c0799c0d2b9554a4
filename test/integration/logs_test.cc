// Logs end to end, on the real binary: --log-format text and json (every
// line of a run parses), the access log's lines for an ended stream and a
// rejected request (with the token redacted), --access-log off, and the
// --pidfile lifecycle.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.h"

using harness::Bridge;
using harness::Millis;
using harness::SseClient;
using harness::Subprocess;
using harness::TempDir;

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The key=value fields of a text line after its message ("v" or "\"v w\"").
std::map<std::string, std::string> TextFields(const std::string& line) {
  std::map<std::string, std::string> fields;
  static const std::regex kField(R"( ([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ ]*))");
  for (auto it = std::sregex_iterator(line.begin(), line.end(), kField); it != std::sregex_iterator(); ++it) {
    std::string value = (*it)[2];
    if (!value.empty() && value.front() == '"') value = nlohmann::json::parse(value).get<std::string>();
    fields[(*it)[1]] = value;
  }
  return fields;
}

std::string FirstLineWith(const std::string& output, const std::string& needle) {
  for (const std::string& line : Lines(output)) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return "";
}

// Publishes `count` messages to `channel` and reads them from `client`.
void PublishAndReceive(Bridge& bridge, SseClient& client, const std::string& channel, int count) {
  for (int i = 0; i < count; ++i) {
    auto published =
        harness::PublishJson(bridge.port(), R"({"channel":")" + channel + R"(","data":"m)" + std::to_string(i) + "\"}");
    ASSERT_TRUE(published && published->status == 200);
    ASSERT_EQ(harness::NextData(client, Millis(5000)), "m" + std::to_string(i));
  }
}

TEST(LogsTest, JsonFormatWritesOneObjectPerLineAndTheStreamsAccessRecord) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--log-format", "json"}));
  {
    SseClient client;
    ASSERT_TRUE(client.Open(bridge.port(), "/events?channel=news&channel=sport"));
    PublishAndReceive(bridge, client, "news", 3);
  }  // The client closes its socket here.
  ASSERT_TRUE(bridge.process().WaitForLine("stream ended", Millis(5000))) << bridge.process().output();
  EXPECT_EQ(bridge.Stop(SIGTERM), 0);

  nlohmann::json ended;
  const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  for (const std::string& line : Lines(bridge.process().output())) {
    nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(record.is_discarded()) << "not JSON: " << line;
    ASSERT_TRUE(record.is_object()) << line;
    ASSERT_TRUE(record["time"].is_string() && std::regex_match(record["time"].get<std::string>(), kTime)) << line;
    ASSERT_TRUE(record["level"] == "info" || record["level"] == "warn" || record["level"] == "error" ||
                record["level"] == "debug")
        << line;
    ASSERT_TRUE(record["msg"].is_string()) << line;
    if (record["msg"] == "stream ended") ended = record;
  }
  ASSERT_TRUE(ended.is_object()) << bridge.process().output();
  EXPECT_EQ(ended["channels"], "news,sport");
  EXPECT_EQ(ended["channel_count"], 2);
  EXPECT_EQ(ended["events"], 3);
  EXPECT_EQ(ended["reason"], "client-closed");
  EXPECT_TRUE(ended["peer"].get<std::string>().rfind("127.0.0.1:", 0) == 0) << ended;
  // The head, the preamble and three events of at least "data: mN\n\n".
  EXPECT_GT(ended["bytes"].get<long long>(), 3 * 10);
  EXPECT_GE(ended["duration_ms"].get<long long>(), 0);
}

TEST(LogsTest, TextFormatLinesAndTheDrainReasonOfAStreamEndedBySigterm) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--drain-seconds", "1"}));
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/news"));
  PublishAndReceive(bridge, client, "news", 2);
  ASSERT_EQ(kill(bridge.process().pid(), SIGTERM), 0);
  EXPECT_TRUE(client.WaitEnd(Millis(5000)));
  std::optional<int> status = bridge.process().WaitExit(Millis(8000));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0);

  const std::regex kLine(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARN|ERROR) .+)");
  for (const std::string& line : Lines(bridge.process().output())) {
    EXPECT_TRUE(std::regex_match(line, kLine)) << line;
  }
  const std::string line = FirstLineWith(bridge.process().output(), " INFO stream ended ");
  ASSERT_NE(line, "") << bridge.process().output();
  std::map<std::string, std::string> fields = TextFields(line);
  EXPECT_EQ(fields["channels"], "news") << line;
  EXPECT_EQ(fields["channel_count"], "1") << line;
  EXPECT_EQ(fields["events"], "2") << line;
  EXPECT_EQ(fields["reason"], "drain") << line;
  EXPECT_GT(std::stoll(fields["bytes"]), 0) << line;
  EXPECT_EQ(fields["peer"].rfind("127.0.0.1:", 0), 0u) << line;
}

TEST(LogsTest, RejectedRequestsAreLoggedWithTheTokenRedacted) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--log-format", "json"}));
  const std::string secret = "eyJzZWNyZXQiOiJ0b2tlbiJ9.do-not-log-me";
  auto missing = harness::HttpRequest(bridge.port(), "GET", "/no/such/path?access_token=" + secret + "&x=1");
  ASSERT_TRUE(missing);
  ASSERT_EQ(missing->status, 404);
  // Bytes that are not HTTP are refused by the parser, before any path.
  harness::Socket garbage;
  ASSERT_TRUE(garbage.Connect(bridge.port()));
  ASSERT_TRUE(garbage.SendAll("NOT HTTP AT ALL\r\n\r\n"));
  std::string buffer;
  std::optional<harness::HttpResponse> refused = harness::ReadResponse(garbage, buffer, Millis(5000));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  garbage.Close();
  ASSERT_TRUE(bridge.process().WaitForLine("\"method\":\"-\"", Millis(5000))) << bridge.process().output();
  EXPECT_EQ(bridge.Stop(SIGTERM), 0);

  const std::string output = bridge.process().output();
  EXPECT_EQ(output.find("do-not-log-me"), std::string::npos) << output;
  std::vector<nlohmann::json> rejected;
  for (const std::string& line : Lines(output)) {
    nlohmann::json record = nlohmann::json::parse(line);
    if (record["msg"] == "request rejected") rejected.push_back(record);
  }
  ASSERT_EQ(rejected.size(), 2u) << output;
  EXPECT_EQ(rejected[0]["status"], 404);
  EXPECT_EQ(rejected[0]["method"], "GET");
  EXPECT_EQ(rejected[0]["path"], "/no/such/path?access_token=REDACTED&x=1");
  EXPECT_TRUE(rejected[0]["reason"].is_string() && !rejected[0]["reason"].get<std::string>().empty());
  EXPECT_TRUE(rejected[0]["peer"].get<std::string>().rfind("127.0.0.1:", 0) == 0);
  EXPECT_EQ(rejected[1]["status"], 400);
  EXPECT_EQ(rejected[1]["path"], "-");
}

TEST(LogsTest, AccessLogOffWritesNeitherKindOfLine) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--access-log", "off"}));
  {
    SseClient client;
    ASSERT_TRUE(client.Open(bridge.port(), "/events/news"));
    PublishAndReceive(bridge, client, "news", 1);
  }
  auto missing = harness::HttpRequest(bridge.port(), "GET", "/no/such/path");
  ASSERT_TRUE(missing && missing->status == 404);
  EXPECT_EQ(bridge.Stop(SIGTERM), 0);
  const std::string output = bridge.process().output();
  EXPECT_EQ(output.find("stream ended"), std::string::npos) << output;
  EXPECT_EQ(output.find("request rejected"), std::string::npos) << output;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(LogsTest, PidFileIsWrittenOnceListeningGuardsAgainstASecondProcessAndGoesOnExit) {
  TempDir dir;
  const std::string pid_path = dir.path() + "/ssebridge.pid";
  Bridge first;
  ASSERT_TRUE(first.Start({"--pidfile", pid_path}));
  ASSERT_TRUE(first.process().WaitForLine("written to " + pid_path, Millis(5000))) << first.process().output();
  EXPECT_EQ(ReadFile(pid_path), std::to_string(first.process().pid()) + "\n");

  // A second process with the same pid file stops before listening.
  Subprocess second;
  ASSERT_TRUE(second.Start({SSEBRIDGE_BINARY, "--listen", "127.0.0.1:0", "--pidfile", pid_path}));
  std::optional<int> status = second.WaitExit(Millis(5000));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 1);
  EXPECT_NE(second.output().find("another running process (pid " + std::to_string(first.process().pid()) + ")"),
            std::string::npos)
      << second.output();
  EXPECT_EQ(second.output().find("listening on"), std::string::npos) << second.output();
  EXPECT_EQ(ReadFile(pid_path), std::to_string(first.process().pid()) + "\n");

  EXPECT_EQ(first.Stop(SIGTERM), 0);
  EXPECT_NE(access(pid_path.c_str(), F_OK), 0) << "pid file left after a clean exit";

  // A file left by a process that died (no lock) does not stop the next one.
  std::ofstream(pid_path) << "999999999\n";
  Bridge third;
  ASSERT_TRUE(third.Start({"--pidfile", pid_path}));
  ASSERT_TRUE(third.process().WaitForLine("written to " + pid_path, Millis(5000)));
  EXPECT_EQ(ReadFile(pid_path), std::to_string(third.process().pid()) + "\n");
  EXPECT_EQ(third.Stop(SIGTERM), 0);
}

}  // namespace
