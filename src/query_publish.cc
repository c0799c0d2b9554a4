#include "ssebridge/query_publish.h"

#include <optional>
#include <utility>

#include "ssebridge/channel.h"
#include "ssebridge/subscribe_request.h"
#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

// Calls fn(raw_part) for each non-empty '&'-separated part; stops when fn
// returns a non-empty error, and returns it.
template <typename Fn>
std::string ForEachQueryPart(std::string_view query, Fn fn) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(start, end - start);
    if (!part.empty()) {
      if (std::string error = fn(part); !error.empty()) return error;
    }
    start = end + 1;
  }
  return "";
}

// A parameter name for an error message: echoed only when short and
// printable (the message is logged and sent back).
std::string Shown(const std::string& what, const std::string& name) {
  if (name.size() <= 64 && ValidateChannelName(name).empty()) return what + " '" + name + "'";
  return what;
}

}  // namespace

bool IsPublishQuery(std::string_view query) {
  for (const auto& [key, value] : ParseQuery(query)) {
    if (!IsStreamParameter(key)) return true;
  }
  return false;
}

std::string ParseQueryPublish(std::string_view rest, std::string_view query, size_t max_channels,
                              std::vector<PublishRequest>* out) {
  std::vector<std::string> channels;
  UniqueChannels unique(&channels, max_channels);
  std::optional<std::vector<std::string>> segments = DecodePathSegments(rest);
  if (!segments) return "bad percent-encoding in the path";
  for (const std::string& name : *segments) {
    if (std::string error = AddPublishChannel(name, &unique, max_channels); !error.empty()) return error;
  }
  // The events in order: (type, data).
  std::vector<std::pair<std::string, std::string>> events;
  std::string error = ForEachQueryPart(query, [&](std::string_view part) -> std::string {
    const size_t equals = part.find('=');
    if (equals == std::string_view::npos) {
      std::optional<std::string> name = PercentDecode(part, true);
      return Shown("parameter", name ? *name : std::string(part)) +
             " has no value: a GET publish takes TYPE=DATA pairs; commands (status, halt) are taken only on "
             "the control port and the FIFO";
    }
    std::optional<std::string> key = PercentDecode(part.substr(0, equals), true);
    std::optional<std::string> value = PercentDecode(part.substr(equals + 1), true);
    if (!key || !value) return "bad percent-encoding in the query";
    if (*key == "channel" || *key == "channels") return AddPublishChannel(*value, &unique, max_channels);
    if (IsStreamParameter(*key)) return "";  // A resume point means nothing to a publish.
    if (events.size() == kMaxEventsPerQuery) {
      return "too many events: a GET publish may carry at most " + std::to_string(kMaxEventsPerQuery);
    }
    if (std::string invalid = ValidateEventName(*key); !invalid.empty()) return invalid;
    // Browsers decode event streams as UTF-8; reject bytes they would mangle.
    if (!IsValidUtf8(*key)) return "event name is not valid UTF-8";
    if (!IsValidUtf8(*value)) return Shown("data of event", *key) + " is not valid UTF-8";
    events.emplace_back(std::move(*key), std::move(*value));
    return "";
  });
  if (!error.empty()) return error;
  if (channels.empty()) return "no channel given: use /publish/<channel>?<type>=<data>";
  if (events.empty()) return "no event given: add ?<type>=<data> to the URL";
  out->reserve(events.size());
  for (auto& [type, data] : events) {
    PublishRequest message;
    message.channels = channels;
    if (type != "message") message.event = std::move(type);
    message.data = std::move(data);
    out->push_back(std::move(message));
  }
  return "";
}

}  // namespace ssebridge
