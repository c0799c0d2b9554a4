#include "ssebridge/publish_request.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "ssebridge/channel.h"
#include "ssebridge/json_fast_reader.h"
#include "ssebridge/sse.h"
#include "ssebridge/untrusted_json.h"
#include "ssebridge/uri.h"
#include "ssebridge/user_channel.h"

namespace ssebridge {
namespace {

// The media type of a Content-Type value: parameters and surrounding spaces
// removed. Returned as a view into the header; compare with MediaTypeIs().
std::string_view MediaType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && isspace(static_cast<unsigned char>(media.front()))) media.remove_prefix(1);
  while (!media.empty() && isspace(static_cast<unsigned char>(media.back()))) media.remove_suffix(1);
  return media;
}

// Media types are case-insensitive (RFC 9110, 8.3.1).
bool IsJsonMediaType(std::string_view media) {
  return EqualsIgnoreCase(media, "application/json") ||
         (media.size() > 5 && EqualsIgnoreCase(media.substr(media.size() - 5), "+json"));
}

}  // namespace

std::string AddPublishChannel(const std::string& name, UniqueChannels* channels, size_t max_channels) {
  std::string error = ValidateChannelName(name);
  if (!error.empty()) return error;
  if (IsPattern(name)) return "cannot publish to a pattern ('" + name + "' contains *, ? or [)";
  if (channels->Add(name) == UniqueChannels::AddResult::kTooMany) {
    return "too many channels: a publish may name at most " + std::to_string(max_channels) +
           " (--max-channels-per-publish)";
  }
  return "";
}

std::string ValidateEventName(const std::string& event) {
  if (event.empty()) return "event name is empty";
  if (!IsValidSseFieldValue(event)) return "event name contains CR, LF or NUL";
  return "";
}

namespace {

std::string AddChannel(const std::string& name, UniqueChannels* channels, size_t max_channels) {
  return AddPublishChannel(name, channels, max_channels);
}

PublishParseResult Error(int status, std::string message) { return PublishParseResult{status, std::move(message)}; }

// A message to a user (Alfresco's sendMessageToUser) is a publish to that
// user's channel, user:<name> (user_channel.h).
std::string AddUser(const std::string& user, UniqueChannels* channels, size_t max_channels) {
  if (user.empty()) return "a user name is empty";
  return AddChannel(UserChannel(user), channels, max_channels);
}

PublishParseResult ParseJson(std::string_view body, size_t max_channels, PublishRequest* out);


}  // namespace

bool ParsePublishJsonFast(std::string_view body, size_t max_channels, PublishRequest* out) {
  JsonFastReader reader(body);
  bool seen_channel = false, seen_channels = false, seen_event = false, seen_data = false;
  std::string channel;
  std::vector<std::string> channels;
  bool read = reader.Object([&](const std::string& key) {
    // A repeated key means "last one wins" in the full parser: leave it to it.
    if (key == "channel") {
      if (seen_channel || !reader.String(&channel)) return false;
      seen_channel = true;
    } else if (key == "channels") {
      if (seen_channels || !reader.Consume('[')) return false;
      seen_channels = true;
      if (!reader.Peek(']')) {
        do {
          channels.emplace_back();
          if (!reader.String(&channels.back())) return false;
        } while (reader.Consume(','));
      }
      if (!reader.Consume(']')) return false;
    } else if (key == "event") {
      if (seen_event || !reader.String(&out->event)) return false;
      seen_event = true;
    } else if (key == "data") {
      // Only string data: other values need the full parser's compact dump.
      if (seen_data || !reader.String(&out->data)) return false;
      seen_data = true;
    } else {
      return false;
    }
    return true;
  });
  if (!read || !reader.AtEnd()) return false;
  // Any semantic error (bad channel, missing data...) is reported by the full path.
  out->channels.clear();
  UniqueChannels unique(&out->channels, max_channels);
  if (seen_channel && !AddChannel(channel, &unique, max_channels).empty()) return false;
  for (const std::string& name : channels) {
    if (!AddChannel(name, &unique, max_channels).empty()) return false;
  }
  // A named event may come without data (an IntraMine-style signal); an
  // unnamed one without data is the full path's 400.
  if (out->channels.empty() || (!seen_data && !seen_event)) return false;
  if (seen_event && !ValidateEventName(out->event).empty()) return false;
  if (!seen_event) out->event.clear();
  if (!seen_data) out->data.clear();
  out->data_is_json = false;
  return true;
}

PublishParseResult ParsePublishJsonFull(std::string_view body, size_t max_channels, PublishRequest* out) {
  return ParseJson(body, max_channels, out);
}

namespace {

PublishParseResult ParseJson(std::string_view body, size_t max_channels, PublishRequest* out) {
  // ordered_json keeps the publisher's key order when data is re-serialized.
  nlohmann::ordered_json document;
  if (std::string error = ParseUntrustedJsonObject(body, &document); !error.empty()) return Error(400, error);
  UniqueChannels unique(&out->channels, max_channels);

  if (auto it = document.find("channel"); it != document.end()) {
    if (!it->is_string()) return Error(400, "\"channel\" must be a string");
    if (std::string e = AddChannel(it->get<std::string>(), &unique, max_channels); !e.empty()) return Error(400, e);
  }
  if (auto it = document.find("channels"); it != document.end()) {
    if (!it->is_array()) return Error(400, "\"channels\" must be an array of strings");
    for (const auto& element : *it) {
      if (!element.is_string()) return Error(400, "\"channels\" must be an array of strings");
      if (std::string e = AddChannel(element.get<std::string>(), &unique, max_channels); !e.empty()) {
        return Error(400, e);
      }
    }
  }
  if (auto it = document.find("user"); it != document.end()) {
    if (!it->is_string()) return Error(400, "\"user\" must be a string");
    if (std::string e = AddUser(it->get<std::string>(), &unique, max_channels); !e.empty()) return Error(400, e);
  }
  if (auto it = document.find("users"); it != document.end()) {
    if (!it->is_array()) return Error(400, "\"users\" must be an array of strings");
    for (const auto& element : *it) {
      if (!element.is_string()) return Error(400, "\"users\" must be an array of strings");
      if (std::string e = AddUser(element.get<std::string>(), &unique, max_channels); !e.empty()) {
        return Error(400, e);
      }
    }
  }
  if (out->channels.empty()) {
    return Error(400, "no channel given: set \"channel\", \"channels\", \"user\" or \"users\"");
  }

  if (auto it = document.find("event"); it != document.end()) {
    if (!it->is_string()) return Error(400, "\"event\" must be a string");
    out->event = it->get<std::string>();
    if (std::string e = ValidateEventName(out->event); !e.empty()) return Error(400, e);
  }
  auto data = document.find("data");
  if (data == document.end()) {
    // A signal such as IntraMine's "todochanged" names an event and carries
    // nothing; it is sent with an empty data line, because browsers never
    // dispatch an event without one. Without a name it would be an empty
    // "message", which is almost certainly a forgotten field.
    if (document.find("event") == document.end()) {
      return Error(400, "missing \"data\" (only a publish that names an \"event\" may leave it out)");
    }
    out->data.clear();
    out->data_is_json = false;
  } else if (data->is_string()) {
    out->data = data->get<std::string>();
    out->data_is_json = false;
  } else {
    // Invalid UTF-8 cannot reach here: the JSON parser rejected it already.
    out->data = data->dump();
    out->data_is_json = true;
  }
  return {};
}

PublishParseResult ParseForm(std::string_view body, size_t max_channels, PublishRequest* out) {
  UniqueChannels unique(&out->channels, max_channels);
  bool have_message = false;
  bool have_event = false;
  for (const auto& [key, value] : ParseQuery(body)) {
    if (key == "channel" || key == "channels") {
      if (std::string e = AddChannel(value, &unique, max_channels); !e.empty()) return Error(400, e);
    } else if (key == "user" || key == "users" || key == "users[]") {
      if (std::string e = AddUser(value, &unique, max_channels); !e.empty()) return Error(400, e);
    } else if ((key == "message" || key == "data") && !have_message) {
      out->data = value;
      have_message = true;
    } else if (key == "event") {
      out->event = value;
      have_event = true;
      if (std::string e = ValidateEventName(out->event); !e.empty()) return Error(400, e);
    }
  }
  if (out->channels.empty()) return Error(400, "no channel given: add channel=<name> or user=<name>");
  // As in JSON: a named event may be a bare signal, an unnamed one may not.
  if (!have_message && !have_event) {
    return Error(400, "missing message: add message=<text> (only a publish with event=<name> may leave it out)");
  }
  // Browsers decode event streams as UTF-8; reject bytes they would mangle.
  if (!IsValidUtf8(out->data)) return Error(400, "message is not valid UTF-8");
  if (!IsValidUtf8(out->event)) return Error(400, "event name is not valid UTF-8");
  out->data_is_json = false;
  return {};
}

}  // namespace

PublishParseResult ParsePublishRequest(std::string_view content_type, std::string_view body, size_t max_channels,
                                       PublishRequest* out) {
  const std::string_view media = MediaType(content_type);
  if (IsJsonMediaType(media)) {
    if (ParsePublishJsonFast(body, max_channels, out)) return {};
    *out = PublishRequest();
    return ParseJson(body, max_channels, out);
  }
  if (EqualsIgnoreCase(media, "application/x-www-form-urlencoded")) return ParseForm(body, max_channels, out);
  if (media.empty()) return Error(415, "missing Content-Type: use application/json or application/x-www-form-urlencoded");
  return Error(415, "unsupported Content-Type '" + std::string(media) + "': use application/json or application/x-www-form-urlencoded");
}

}  // namespace ssebridge
