// Unit tests for ParseControlLine (include/ssebridge/control_line.h): the W3C
// SSE-Server line grammar of the control port and the FIFO.

#include "ssebridge/control_line.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

using Kind = ControlLine::Kind;

ControlLine Publish(std::string_view text) {
  ControlLine line = ParseControlLine(text);
  EXPECT_EQ(line.kind, Kind::kPublish) << "'" << text << "': " << line.error;
  return line;
}

std::string Error(std::string_view text) {
  ControlLine line = ParseControlLine(text);
  EXPECT_EQ(line.kind, Kind::kInvalid) << "'" << text << "'";
  return line.error;
}

TEST(ControlLineTest, ChannelTypeAndData) {
  ControlLine line = Publish("color/q1 = go");
  EXPECT_EQ(line.publish.channels, std::vector<std::string>{"color"});
  EXPECT_EQ(line.publish.event, "q1");
  EXPECT_EQ(line.publish.data, "go");
  EXPECT_FALSE(line.publish.data_is_json);
}

TEST(ControlLineTest, WithoutATypeTheEventIsTheDefaultMessage) {
  ControlLine line = Publish("channel = some data here");
  EXPECT_EQ(line.publish.channels, std::vector<std::string>{"channel"});
  EXPECT_EQ(line.publish.event, "");
  EXPECT_EQ(line.publish.data, "some data here");
}

TEST(ControlLineTest, TheTypeMessageIsTheDefaultToo) {
  ControlLine explicit_message = Publish("channel/message = some data here");
  ControlLine implicit = Publish("channel = some data here");
  EXPECT_EQ(explicit_message.publish.event, implicit.publish.event);
  EXPECT_EQ(explicit_message.publish.data, implicit.publish.data);
}

TEST(ControlLineTest, WhiteSpaceAtTheEndsAndAroundTheSeparatorsIsIgnored) {
  ControlLine line = Publish(" \t color \t/\t q1  \t=  \t go on \t \r");
  EXPECT_EQ(line.publish.channels, std::vector<std::string>{"color"});
  EXPECT_EQ(line.publish.event, "q1");
  EXPECT_EQ(line.publish.data, "go on");  // Inner space kept.
}

TEST(ControlLineTest, NoSpacesAtAll) {
  ControlLine line = Publish("color/q1=go");
  EXPECT_EQ(line.publish.event, "q1");
  EXPECT_EQ(line.publish.data, "go");
}

TEST(ControlLineTest, DataMayHoldEqualsSignsAndTheTypeSlashes) {
  ControlLine line = Publish("a/b/c = x = y");
  EXPECT_EQ(line.publish.channels, std::vector<std::string>{"a"});
  EXPECT_EQ(line.publish.event, "b/c");
  EXPECT_EQ(line.publish.data, "x = y");
}

TEST(ControlLineTest, EmptyDataIsAnEmptyMessage) {
  ControlLine line = Publish("color/ping =");
  EXPECT_EQ(line.publish.event, "ping");
  EXPECT_EQ(line.publish.data, "");
}

TEST(ControlLineTest, Commands) {
  EXPECT_EQ(ParseControlLine("status").kind, Kind::kStatus);
  EXPECT_EQ(ParseControlLine("  halt \r").kind, Kind::kHalt);
}

TEST(ControlLineTest, BlankLinesAreNothing) {
  EXPECT_EQ(ParseControlLine("").kind, Kind::kBlank);
  EXPECT_EQ(ParseControlLine(" \t\r").kind, Kind::kBlank);
}

TEST(ControlLineTest, BadLinesSayWhy) {
  EXPECT_NE(Error("reboot").find("'status' or 'halt'"), std::string::npos);
  EXPECT_NE(Error("Status").find("'status' or 'halt'"), std::string::npos);  // Commands are case-sensitive.
  EXPECT_EQ(Error("= data"), "no channel before '='");
  EXPECT_EQ(Error(" /q1 = data"), "no channel before '='");
  EXPECT_EQ(Error("color/ = data"), "no event type after '/'");
  EXPECT_NE(Error("news* = x").find("cannot publish to a pattern"), std::string::npos);
  EXPECT_NE(Error(std::string(300, 'c') + " = x").find("longer than 256"), std::string::npos);
  EXPECT_NE(Error(std::string("a/b\0c = x", 9)).find("CR, LF or NUL"), std::string::npos);
  EXPECT_EQ(Error("a = \xff\xfe"), "data is not valid UTF-8");
  EXPECT_EQ(Error("a/\xff = x"), "event type is not valid UTF-8");
}

}  // namespace
}  // namespace ssebridge
