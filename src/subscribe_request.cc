#include "ssebridge/subscribe_request.h"

#include "ssebridge/channel.h"
#include "ssebridge/sse.h"
#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

std::string AddChannel(const std::string& name, UniqueChannels* channels, size_t max_channels) {
  std::string error = ValidateChannelName(name);
  if (!error.empty()) return error;
  if (channels->Add(name) == UniqueChannels::AddResult::kTooMany) {
    return "too many channels: a stream may subscribe to at most " + std::to_string(max_channels) +
           " (--max-channels-per-subscribe)";
  }
  return "";
}

}  // namespace

std::string ParseSubscribeRequest(std::string_view rest, std::string_view query, const HttpRequest& request,
                                  size_t max_channels, SubscribeRequest* out) {
  UniqueChannels unique(&out->channels, max_channels);
  size_t start = 0;
  while (start < rest.size()) {
    size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view segment = rest.substr(start, end - start);
    if (!segment.empty()) {
      std::optional<std::string> name = PercentDecode(segment, false);
      if (!name) return "bad percent-encoding in the path";
      if (std::string error = AddChannel(*name, &unique, max_channels); !error.empty()) return error;
    }
    start = end + 1;
  }
  std::optional<std::string> query_last_event_id;
  for (const auto& [key, value] : ParseQuery(query)) {
    if (key == "channel" || key == "channels" || key == "channels[]") {
      if (std::string error = AddChannel(value, &unique, max_channels); !error.empty()) return error;
    } else if ((key == "lastEventId" || key == "last_event_id") && !query_last_event_id) {
      query_last_event_id = value;
    }
  }
  if (out->channels.empty()) return "no channel given: use /events/<channel> or ?channel=<name>";

  // The header wins: a browser's automatic reconnect carries the newest id.
  if (const std::string* header = request.Header("last-event-id"); header && !header->empty()) {
    out->last_event_id = *header;
  } else if (query_last_event_id && !query_last_event_id->empty()) {
    out->last_event_id = query_last_event_id;
  }
  if (out->last_event_id && !IsValidSseFieldValue(*out->last_event_id)) {
    return "last event id contains CR, LF or NUL";
  }
  return "";
}

}  // namespace ssebridge
