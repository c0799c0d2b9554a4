// Unit tests for client commands (include/ssebridge/client_command.h): the
// JSON that travels on the control channel, and applying a command to a
// registered stream.

#include "ssebridge/client_command.h"

#include <gtest/gtest.h>

#include "ssebridge/client_registry.h"
#include "ssebridge/completion_queue.h"

namespace ssebridge {
namespace {

constexpr char kId[] = "abcdefghijklmnop";

TEST(ClientCommandTest, EncodeAndParseRoundTrip) {
  ClientCommand add{ClientCommand::Op::kAdd, kId, {"a", "b.*", "caf\xc3\xa9\""}};
  const std::string json = EncodeClientCommand(add);
  EXPECT_EQ(json, std::string(R"({"op":"add","client":"abcdefghijklmnop","channels":["a","b.*","caf)") +
                      "\xc3\xa9" + R"(\""]})");
  ClientCommand parsed;
  ASSERT_EQ(ParseClientCommand(json, 10, &parsed), "");
  EXPECT_EQ(parsed.op, ClientCommand::Op::kAdd);
  EXPECT_EQ(parsed.client, kId);
  EXPECT_EQ(parsed.channels, add.channels);

  ClientCommand end{ClientCommand::Op::kEnd, kId, {}};
  EXPECT_EQ(EncodeClientCommand(end), R"({"op":"end","client":"abcdefghijklmnop"})");
  ClientCommand parsed_end;
  ASSERT_EQ(ParseClientCommand(EncodeClientCommand(end), 10, &parsed_end), "");
  EXPECT_EQ(parsed_end.op, ClientCommand::Op::kEnd);

  ClientCommand remove{ClientCommand::Op::kRemove, kId, {"a"}};
  ClientCommand parsed_remove;
  ASSERT_EQ(ParseClientCommand(EncodeClientCommand(remove), 10, &parsed_remove), "");
  EXPECT_EQ(parsed_remove.op, ClientCommand::Op::kRemove);
  EXPECT_EQ(parsed_remove.channels, std::vector<std::string>{"a"});
}

TEST(ClientCommandTest, RefusesWhatIsNoCommand) {
  struct Case {
    std::string payload, error;
  } cases[] = {
      {"hello", "not a JSON object"},
      {R"({"event":"message","data":"x","id":"1","resumable":true})", "no \"op\""},
      {R"({"op":"add"})", "no \"client\""},
      {R"({"op":"halt","client":"abcdefghijklmnop"})", "unknown op 'halt'"},
      {R"({"op":"end","client":"short"})", "client_id must be 16 to 64 characters long"},
      {R"({"op":"add","client":"abcdefghijklmnop"})", "no \"channels\""},
      {R"({"op":"add","client":"abcdefghijklmnop","channels":[]})", "no \"channels\""},
      {R"({"op":"add","client":"abcdefghijklmnop","channels":["a","b","c"]})", "wrong number of channels"},
      {R"({"op":"remove","client":"abcdefghijklmnop","channels":["a","b"]})", "wrong number of channels"},
      {R"({"op":"add","client":"abcdefghijklmnop","channels":[1]})", "\"channels\" must be an array of strings"},
      {R"({"op":"add","client":"abcdefghijklmnop","channels":[""]})", "channel name is empty"},
  };
  for (const Case& c : cases) {
    ClientCommand out;
    EXPECT_EQ(ParseClientCommand(c.payload, 2, &out), c.error) << c.payload;
  }
}

TEST(ClientCommandTest, ACommandForNoRegisteredStreamIsUnknown) {
  ClientRegistry clients;
  ClientCommand end{ClientCommand::Op::kEnd, kId, {}};
  EXPECT_EQ(ApplyClientCommand(&clients, end, 10), ClientCommandResult::kUnknownClient);
  EXPECT_EQ(ApplyClientCommand(nullptr, end, 10), ClientCommandResult::kUnknownClient);
}

TEST(ClientCommandTest, TheReceiverAppliesFromTheCompletionQueueAndDropsBadPayloads) {
  ClientRegistry clients;
  CompletionQueue completions;
  auto receive = MakeClientCommandReceiver(&clients, &completions, 10);
  receive("not json");
  EXPECT_TRUE(completions.empty());
  receive(R"({"op":"end","client":"abcdefghijklmnop"})");
  EXPECT_FALSE(completions.empty());  // Deferred, never applied inside the subscriber's callback.
  completions.RunAll();               // Nobody here holds the id: nothing happens.
  EXPECT_TRUE(completions.empty());
}

}  // namespace
}  // namespace ssebridge
