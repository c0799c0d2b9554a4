// Unit tests for the Server-Sent Events wire encoding (include/ssebridge/sse.h).
//
// Besides exact byte expectations, the encoded output is parsed back by a small
// independent parser written here from the WHATWG "event stream interpretation"
// algorithm, so the tests check what a browser would actually see.

#include "ssebridge/sse.h"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

// ---------------------------------------------------------------------------
// A minimal WHATWG EventSource stream parser (byte oriented; the UTF-8 decode
// step is the identity for our purposes). Independent of the code under test.
// ---------------------------------------------------------------------------
struct ParsedEvent {
  std::string type;
  std::string data;
  std::string last_event_id;
};

struct ParsedStream {
  std::vector<ParsedEvent> events;
  std::optional<uint64_t> retry;
  int comments = 0;
  bool complete = true;  // False when bytes after the last line terminator were left over.
};

ParsedStream ParseEventStream(const std::string& bytes) {
  ParsedStream result;
  std::string data_buffer;
  std::string event_type;
  std::string last_event_id;

  // Split into lines at CRLF, LF or CR; a trailing unterminated line is ignored.
  std::vector<std::string> lines;
  size_t start = 0;
  size_t i = 0;
  while (i < bytes.size()) {
    if (bytes[i] == '\r' || bytes[i] == '\n') {
      lines.push_back(bytes.substr(start, i - start));
      if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
      start = ++i;
    } else {
      ++i;
    }
  }
  result.complete = start == bytes.size();

  for (const std::string& line : lines) {
    if (line.empty()) {
      // Dispatch.
      if (data_buffer.empty()) {
        event_type.clear();
        continue;
      }
      if (data_buffer.back() == '\n') data_buffer.pop_back();
      result.events.push_back({event_type.empty() ? "message" : event_type, data_buffer, last_event_id});
      data_buffer.clear();
      event_type.clear();
      continue;
    }
    if (line[0] == ':') {
      ++result.comments;
      continue;
    }
    std::string field;
    std::string value;
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      field = line;
    } else {
      field = line.substr(0, colon);
      value = line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    }
    if (field == "event") {
      event_type = value;
    } else if (field == "data") {
      data_buffer += value;
      data_buffer += '\n';
    } else if (field == "id") {
      if (value.find('\0') == std::string::npos) last_event_id = value;
    } else if (field == "retry") {
      if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) {
        result.retry = std::stoull(value);
      }
    }
    // Other fields are ignored.
  }
  return result;
}

std::string Encode(std::string_view data, std::string_view event = "", std::string_view id = "",
                   std::optional<uint32_t> retry = std::nullopt) {
  std::string out;
  SseEvent e;
  e.id = id;
  e.event = event;
  e.data = data;
  e.retry_ms = retry;
  AppendSseEvent(&out, e);
  return out;
}

// CRLF and lone CR become LF: the only change a browser applies to data.
std::string NormalizeNewlines(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// --- Exact encodings -------------------------------------------------------

TEST(SseEncodingTest, SingleLineDataIsOneDataLineAndBlankLine) {
  EXPECT_EQ(Encode("hello"), "data: hello\n\n");
}

TEST(SseEncodingTest, AppendsToExistingOutput) {
  std::string out = "prefix";
  SseEvent e;
  e.data = "x";
  AppendSseEvent(&out, e);
  EXPECT_EQ(out, "prefixdata: x\n\n");
}

TEST(SseEncodingTest, SplitsDataOnLf) { EXPECT_EQ(Encode("a\nb\nc"), "data: a\ndata: b\ndata: c\n\n"); }

TEST(SseEncodingTest, SplitsDataOnCrlf) { EXPECT_EQ(Encode("a\r\nb"), "data: a\ndata: b\n\n"); }

TEST(SseEncodingTest, SplitsDataOnLoneCr) { EXPECT_EQ(Encode("a\rb"), "data: a\ndata: b\n\n"); }

TEST(SseEncodingTest, SplitsDataOnMixedLineEndings) {
  EXPECT_EQ(Encode("a\r\nb\nc\rd"), "data: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(SseEncodingTest, LfCrIsTwoLineBreaksNotOne) {
  // "\n\r" is LF followed by CR: two separate terminators, so an empty line between.
  EXPECT_EQ(Encode("a\n\rb"), "data: a\ndata: \ndata: b\n\n");
}

TEST(SseEncodingTest, TrailingNewlineKeepsAnEmptyLastDataLine) {
  // Without the empty data line the trailing newline would be lost by the parser.
  EXPECT_EQ(Encode("a\n"), "data: a\ndata: \n\n");
  EXPECT_EQ(Encode("a\r\n"), "data: a\ndata: \n\n");
  EXPECT_EQ(Encode("a\r"), "data: a\ndata: \n\n");
}

TEST(SseEncodingTest, ConsecutiveNewlinesBecomeEmptyDataLines) {
  // A blank line inside data must never reach the wire: it would end the event.
  EXPECT_EQ(Encode("a\n\nb"), "data: a\ndata: \ndata: b\n\n");
  EXPECT_EQ(Encode("\r\n\r\n"), "data: \ndata: \ndata: \n\n");
}

TEST(SseEncodingTest, EmptyDataIsOneEmptyDataLine) {
  // The browser only dispatches an event with at least one data line.
  EXPECT_EQ(Encode(""), "data: \n\n");
}

TEST(SseEncodingTest, LeadingSpaceInDataIsPreserved) {
  // The parser strips exactly one space after the colon; ours is the separator.
  EXPECT_EQ(Encode(" x"), "data:  x\n\n");
  ParsedStream parsed = ParseEventStream(Encode("  two spaces"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].data, "  two spaces");
}

TEST(SseEncodingTest, Utf8DataIsCopiedUnchanged) {
  const std::string text = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80";  // é € 😀
  EXPECT_EQ(Encode(text), "data: " + text + "\n\n");
}

TEST(SseEncodingTest, DataThatLooksLikeFieldsCannotInjectFields) {
  std::string out = Encode("x\nevent: evil\nid: 666\n\ndata: y");
  ParsedStream parsed = ParseEventStream(out);
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].type, "message");
  EXPECT_EQ(parsed.events[0].last_event_id, "");
  EXPECT_EQ(parsed.events[0].data, "x\nevent: evil\nid: 666\n\ndata: y");
}

TEST(SseEncodingTest, IdAndEventAreOmittedWhenEmpty) {
  std::string out = Encode("d", "", "");
  EXPECT_EQ(out.find("id:"), std::string::npos);
  EXPECT_EQ(out.find("event:"), std::string::npos);
}

TEST(SseEncodingTest, EventMessageIsOmitted) {
  // "message" is the default type, so the line would be redundant bytes.
  EXPECT_EQ(Encode("d", "message"), "data: d\n\n");
}

TEST(SseEncodingTest, IdEventAndRetryFieldsPrecedeData) {
  EXPECT_EQ(Encode("d", "update", "42", 1500u), "id: 42\nevent: update\nretry: 1500\ndata: d\n\n");
}

TEST(SseEncodingTest, RetryZeroIsWritten) {
  EXPECT_EQ(Encode("d", "", "", 0u), "retry: 0\ndata: d\n\n");
}

TEST(SseEncodingTest, CrAndLfAreStrippedFromIdAndEvent) {
  EXPECT_EQ(Encode("d", "up\r\ndate", "4\n2\r"), "id: 42\nevent: update\ndata: d\n\n");
}

TEST(SseEncodingTest, NulIsStrippedFromId) {
  // An id containing NUL would be ignored by the browser entirely.
  EXPECT_EQ(Encode("d", "", std::string_view("4\0" "2", 3)), "id: 42\ndata: d\n\n");
}

TEST(SseEncodingTest, CommentIsColonSpaceTextBlankLine) {
  std::string out;
  AppendSseComment(&out, "ping");
  EXPECT_EQ(out, ": ping\n\n");
  ParsedStream parsed = ParseEventStream(out);
  EXPECT_EQ(parsed.events.size(), 0u);
  EXPECT_EQ(parsed.comments, 1);
}

TEST(SseEncodingTest, CommentStripsLineBreaks) {
  std::string out;
  AppendSseComment(&out, "a\r\nb\nc\rd");
  EXPECT_EQ(out, ": abcd\n\n");
}

TEST(SseEncodingTest, EmptyComment) {
  std::string out;
  AppendSseComment(&out, "");
  EXPECT_EQ(out, ": \n\n");
}

TEST(SseEncodingTest, RetryOnlyBlock) {
  std::string out;
  AppendSseRetry(&out, 3000);
  EXPECT_EQ(out, "retry: 3000\n\n");
  ParsedStream parsed = ParseEventStream(out);
  EXPECT_EQ(parsed.events.size(), 0u);
  ASSERT_TRUE(parsed.retry.has_value());
  EXPECT_EQ(*parsed.retry, 3000u);
}

TEST(SseEncodingTest, IsValidSseFieldValue) {
  EXPECT_TRUE(IsValidSseFieldValue(""));
  EXPECT_TRUE(IsValidSseFieldValue("order.created"));
  EXPECT_TRUE(IsValidSseFieldValue("caf\xC3\xA9"));
  EXPECT_FALSE(IsValidSseFieldValue("a\rb"));
  EXPECT_FALSE(IsValidSseFieldValue("a\nb"));
  EXPECT_FALSE(IsValidSseFieldValue(std::string_view("a\0b", 3)));
}

// --- Parsed back by the independent parser ----------------------------------

TEST(SseRoundTripTest, EmptyDataDispatchesAnEventWithEmptyData) {
  ParsedStream parsed = ParseEventStream(Encode(""));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].data, "");
}

TEST(SseRoundTripTest, FieldsComeBack) {
  ParsedStream parsed = ParseEventStream(Encode("line1\r\nline2", "tick", "17", 250u));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].type, "tick");
  EXPECT_EQ(parsed.events[0].last_event_id, "17");
  EXPECT_EQ(parsed.events[0].data, "line1\nline2");
  ASSERT_TRUE(parsed.retry.has_value());
  EXPECT_EQ(*parsed.retry, 250u);
}

TEST(SseRoundTripTest, SeveralEventsInOneStream) {
  std::string stream;
  AppendSseComment(&stream, "preamble");
  stream += Encode("one");
  stream += Encode("two\n", "named");
  stream += Encode("", "", "9");
  ParsedStream parsed = ParseEventStream(stream);
  ASSERT_EQ(parsed.events.size(), 3u);
  EXPECT_EQ(parsed.events[0].data, "one");
  EXPECT_EQ(parsed.events[1].type, "named");
  EXPECT_EQ(parsed.events[1].data, "two\n");
  EXPECT_EQ(parsed.events[2].data, "");
  EXPECT_EQ(parsed.events[2].last_event_id, "9");
  EXPECT_TRUE(parsed.complete);
}

TEST(SseRoundTripTest, RandomPayloadsRoundTripModuloNewlineNormalisation) {
  // Fixed seed: reproducible. The alphabet is biased towards bytes that matter
  // to the framing: CR, LF, ':', ' ', and multi-byte UTF-8 sequences.
  std::mt19937 rng(20240611);
  const std::vector<std::string> pieces = {
      "\r", "\n", "\r\n", "\n\r", ":", " ", "a", "Z", "data:", "event: x", "id:", "retry: 1",
      std::string(1, '\0'), "\t", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "{\"k\":[1,2]}"};
  std::uniform_int_distribution<size_t> piece_index(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 24);
  const std::vector<std::string> events = {"", "message", "update", "a.b"};
  std::uniform_int_distribution<size_t> event_index(0, events.size() - 1);

  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::string payload;
    int n = length(rng);
    for (int k = 0; k < n; ++k) payload += pieces[piece_index(rng)];
    const std::string& event = events[event_index(rng)];
    const std::string id = std::to_string(iteration);

    std::string encoded = Encode(payload, event, id);
    ParsedStream parsed = ParseEventStream(encoded);
    ASSERT_TRUE(parsed.complete) << "iteration " << iteration;
    ASSERT_EQ(parsed.events.size(), 1u) << "iteration " << iteration << " encoded: " << encoded;
    EXPECT_EQ(parsed.events[0].data, NormalizeNewlines(payload)) << "iteration " << iteration;
    EXPECT_EQ(parsed.events[0].type, event.empty() ? "message" : event);
    EXPECT_EQ(parsed.events[0].last_event_id, id);
  }
}

// --- SseEventSize: the encoded size without encoding ------------------------

size_t EncodedSize(std::string_view data, std::string_view event = "", std::string_view id = "",
                   std::optional<uint32_t> retry = std::nullopt) {
  SseEvent e;
  e.id = id;
  e.event = event;
  e.data = data;
  e.retry_ms = retry;
  return SseEventSize(e);
}

TEST(SseEventSizeTest, EqualsTheEncodedSizeForLineBreakMixes) {
  for (std::string_view data : {"", "x", "\n", "\r", "\r\n", "\n\r", "\r\r\n\n", "a\nb\rc\r\nd", "\r\n\r\n",
                           "trailing\r", "trailing\n", "\rlead", "a\n\n\nb", "x\r\r\r", "\n\r\n\r"}) {
    EXPECT_EQ(EncodedSize(data), Encode(data).size()) << testing::PrintToString(std::string(data));
  }
}

TEST(SseEventSizeTest, CountsIdEventAndRetryFields) {
  EXPECT_EQ(EncodedSize("d", "price", "42", 1500u), Encode("d", "price", "42", 1500u).size());
  EXPECT_EQ(EncodedSize("d", "message", "1"), Encode("d", "message", "1").size());  // "message" is omitted.
  EXPECT_EQ(EncodedSize("d", "", "", 0u), Encode("d", "", "", 0u).size());
  EXPECT_EQ(EncodedSize("d", "", "", 4294967295u), Encode("d", "", "", 4294967295u).size());
  // Line breaks in id and event are dropped by the encoder, and not counted.
  const std::string_view id_with_nul("i\0d", 3);
  EXPECT_EQ(EncodedSize("d", "e\rv\n", id_with_nul), Encode("d", "e\rv\n", id_with_nul).size());
}

TEST(SseEventSizeTest, EqualsTheEncodedSizeForRandomData) {
  std::mt19937 random(7);
  const char alphabet[] = {'a', '\n', '\r', ' ', ':', '\0'};
  for (int round = 0; round < 2000; ++round) {
    std::string data(random() % 40, 'a');
    for (char& c : data) c = alphabet[random() % sizeof alphabet];
    ASSERT_EQ(EncodedSize(data, "ev", "7"), Encode(data, "ev", "7").size()) << testing::PrintToString(data);
  }
}

// The attack of issue 9: 160 KB of line breaks grow about sevenfold.
TEST(SseEventSizeTest, LineBreaksGrowSevenfold) {
  std::string data(160 * 1024, '\n');
  EXPECT_EQ(EncodedSize(data), (data.size() + 1) * 7 + 1);
  EXPECT_EQ(EncodedSize(data), Encode(data).size());
}

}  // namespace
}  // namespace ssebridge
