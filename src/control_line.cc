#include "ssebridge/control_line.h"

#include "ssebridge/channel.h"

namespace ssebridge {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

ControlLine Invalid(std::string error) {
  ControlLine line;
  line.kind = ControlLine::Kind::kInvalid;
  line.error = std::move(error);
  return line;
}

}  // namespace

ControlLine ParseControlLine(std::string_view text) {
  text = Trim(text);
  ControlLine line;
  if (text.empty()) return line;
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos) {
    if (text == "status") {
      line.kind = ControlLine::Kind::kStatus;
    } else if (text == "halt") {
      line.kind = ControlLine::Kind::kHalt;
    } else {
      return Invalid("not 'channel/type = data', 'channel = data', 'status' or 'halt'");
    }
    return line;
  }
  const std::string_view target = Trim(text.substr(0, equals));
  const std::string_view data = Trim(text.substr(equals + 1));
  const size_t slash = target.find('/');
  const std::string channel(Trim(target.substr(0, slash)));
  std::string type = slash == std::string_view::npos ? "message" : std::string(Trim(target.substr(slash + 1)));
  if (channel.empty()) return Invalid("no channel before '='");
  std::vector<std::string> channels;
  UniqueChannels unique(&channels, 1);
  if (std::string error = AddPublishChannel(channel, &unique, 1); !error.empty()) return Invalid(error);
  if (type.empty()) return Invalid("no event type after '/'");
  if (std::string error = ValidateEventName(type); !error.empty()) return Invalid(error);
  // Browsers decode event streams as UTF-8; reject bytes they would mangle.
  if (!IsValidUtf8(type)) return Invalid("event type is not valid UTF-8");
  if (!IsValidUtf8(data)) return Invalid("data is not valid UTF-8");
  line.kind = ControlLine::Kind::kPublish;
  line.publish.channels = std::move(channels);
  if (type != "message") line.publish.event = std::move(type);
  line.publish.data = std::string(data);
  return line;
}

}  // namespace ssebridge
