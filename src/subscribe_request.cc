#include "ssebridge/subscribe_request.h"

#include "ssebridge/channel.h"
#include "ssebridge/client_id.h"
#include "ssebridge/sse.h"
#include "ssebridge/uri.h"
#include "ssebridge/user_channel.h"

namespace ssebridge {

std::string AddStreamChannel(const std::string& name, UniqueChannels* channels, size_t max_channels) {
  std::string error = ValidateChannelName(name);
  if (!error.empty()) return error;
  if (channels->Add(name) == UniqueChannels::AddResult::kTooMany) {
    return "too many channels: a stream may subscribe to at most " + std::to_string(max_channels) +
           " (--max-channels-per-subscribe)";
  }
  return "";
}

bool IsStreamParameter(std::string_view key) {
  // What a stream reads, with jQuery's cache buster (`_`), the id some
  // clients add (`uuid`) and the long-poll parameters: pages send them on
  // stream URLs, and they must never turn a subscription into a publish.
  // access_token carries a credential (authorizer.h), never a channel or an event.
  static constexpr std::string_view kNames[] = {"channel", "channels", "channels[]", "lastEventId", "last_event_id",
                                                "_",       "uuid",     "poll",       "cursor",
                                                "client_id", "register", "access_token", "user"};
  for (std::string_view name : kNames) {
    if (key == name) return true;
  }
  return false;
}

std::string ParseSubscribeRequest(std::string_view rest, std::string_view query, const HttpRequest& request,
                                  size_t max_channels, SubscribeRequest* out, bool empty_subscribes_all) {
  UniqueChannels unique(&out->channels, max_channels);
  std::optional<std::vector<std::string>> segments = DecodePathSegments(rest);
  if (!segments) return "bad percent-encoding in the path";
  for (const std::string& name : *segments) {
    if (std::string error = AddStreamChannel(name, &unique, max_channels); !error.empty()) return error;
  }
  std::optional<std::string> query_last_event_id;
  for (const auto& [key, value] : ParseQuery(query)) {
    if (key == "channel" || key == "channels" || key == "channels[]") {
      if (std::string error = AddStreamChannel(value, &unique, max_channels); !error.empty()) return error;
    } else if ((key == "lastEventId" || key == "last_event_id") && !query_last_event_id) {
      query_last_event_id = value;
    } else if (key == "client_id") {
      if (std::string error = CheckClientId(value); !error.empty()) return error;
      if (!out->client_id.empty() && out->client_id != value) return "client_id given twice";
      out->client_id = value;
      out->register_client = true;
    } else if (key == "user") {
      // ?user=me: the subscriber's own user channel (user_channel.h); the
      // stream handler resolves the alias once the credential is known.
      if (value.empty()) return "user is empty: use ?user=me or ?user=<name>";
      if (std::string error = AddStreamChannel(UserChannel(value), &unique, max_channels); !error.empty()) {
        return error;
      }
    } else if (key == "register") {
      if (value == "1" || value == "true") {
        out->register_client = true;
      } else if (value != "0" && value != "false") {
        return "register must be 1 or 0, got '" + value + "'";
      }
    }
  }
  // The existing pattern machinery serves "every channel", in both brokers.
  if (out->channels.empty() && empty_subscribes_all) out->channels.emplace_back(kAllChannelsPattern);
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
