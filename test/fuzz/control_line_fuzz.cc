// libFuzzer target: the W3C SSE-Server text inputs. The first byte picks the
// input: control-port/FIFO bytes (cut into reads at bytes the input chooses)
// or a GET publish query. Properties: nothing crashes; LineBuffer hands out
// the same lines whatever the reads, none longer than its bound and none with
// '\n'; an accepted line publishes to one valid non-pattern channel with data
// free of '\n'; an accepted query yields 1..kMaxEventsPerQuery
// messages to the same 1..max valid channels.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ssebridge/channel.h"
#include "ssebridge/control_line.h"
#include "ssebridge/line_buffer.h"
#include "ssebridge/query_publish.h"

namespace {

constexpr size_t kMaxLine = 64;
constexpr size_t kMaxChannels = 5;

std::vector<std::string> Lines(const std::vector<std::string_view>& reads) {
  ssebridge::LineBuffer buffer(kMaxLine);
  std::vector<std::string> lines;
  auto sink = [&](std::string_view line, bool too_long) {
    if (line.size() > kMaxLine || line.find('\n') != std::string_view::npos) abort();
    lines.push_back((too_long ? "!" : "=") + std::string(line));
    return true;
  };
  for (std::string_view read : reads) buffer.Feed(read, sink);
  buffer.Finish(sink);
  return lines;
}

void CheckLine(std::string_view text) {
  ssebridge::ControlLine line = ssebridge::ParseControlLine(text);
  if (line.kind != ssebridge::ControlLine::Kind::kPublish) return;
  if (line.publish.channels.size() != 1) abort();
  const std::string& channel = line.publish.channels[0];
  if (!ssebridge::ValidateChannelName(channel).empty() || ssebridge::IsPattern(channel)) abort();
  // A CR inside the data is kept (the event encoding splits lines at it).
  if (line.publish.data.find('\n') != std::string::npos) abort();
  if (line.publish.event == "message") abort();  // The default type is "".
}

void CheckQuery(std::string_view input) {
  const size_t question = input.find('?');
  std::string_view rest = input.substr(0, question);
  std::string_view query = question == std::string_view::npos ? std::string_view() : input.substr(question + 1);
  std::vector<ssebridge::PublishRequest> messages;
  std::string error = ssebridge::ParseQueryPublish(rest, query, kMaxChannels, &messages);
  if (!error.empty()) {
    if (!messages.empty()) abort();
    return;
  }
  if (messages.empty() || messages.size() > ssebridge::kMaxEventsPerQuery) abort();
  for (const ssebridge::PublishRequest& message : messages) {
    if (message.channels != messages[0].channels) abort();
    if (message.channels.empty() || message.channels.size() > kMaxChannels) abort();
    for (const std::string& channel : message.channels) {
      if (!ssebridge::ValidateChannelName(channel).empty() || ssebridge::IsPattern(channel)) abort();
    }
    if (!ssebridge::IsValidUtf8(message.data) || !ssebridge::IsValidUtf8(message.event)) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    CheckQuery(input);
    return 0;
  }
  // One read, then the same bytes cut at every '\x01' (kept in the data).
  std::vector<std::string> whole = Lines({input});
  std::vector<std::string_view> reads;
  size_t start = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '\x01') {
      reads.push_back(input.substr(start, i + 1 - start));
      start = i + 1;
    }
  }
  reads.push_back(input.substr(start));
  if (Lines(reads) != whole) abort();
  for (const std::string& line : whole) {
    if (line[0] == '=') CheckLine(std::string_view(line).substr(1));
  }
  return 0;
}
