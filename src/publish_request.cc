#include "ssebridge/publish_request.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "ssebridge/channel.h"
#include "ssebridge/sse.h"
#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

std::string MediaType(std::string_view content_type) {
  std::string media(content_type.substr(0, content_type.find(';')));
  auto not_space = [](unsigned char c) { return !isspace(c); };
  media.erase(media.begin(), std::find_if(media.begin(), media.end(), not_space));
  media.erase(std::find_if(media.rbegin(), media.rend(), not_space).base(), media.end());
  std::transform(media.begin(), media.end(), media.begin(), [](unsigned char c) { return tolower(c); });
  return media;
}

std::string AddChannel(const std::string& name, PublishRequest* out) {
  std::string error = ValidateChannelName(name);
  if (!error.empty()) return error;
  if (IsPattern(name)) return "cannot publish to a pattern ('" + name + "' contains *, ? or [)";
  if (std::find(out->channels.begin(), out->channels.end(), name) == out->channels.end()) {
    out->channels.push_back(name);
  }
  return "";
}

std::string ValidateEventName(const std::string& event) {
  if (event.empty()) return "event name is empty";
  if (!IsValidSseFieldValue(event)) return "event name contains CR, LF or NUL";
  return "";
}

PublishParseResult Error(int status, std::string message) { return PublishParseResult{status, std::move(message)}; }

PublishParseResult ParseJson(std::string_view body, PublishRequest* out) {
  // ordered_json keeps the publisher's key order when data is re-serialized.
  nlohmann::ordered_json document = nlohmann::ordered_json::parse(body.begin(), body.end(), nullptr, false);
  if (document.is_discarded()) return Error(400, "body is not valid JSON");
  if (!document.is_object()) return Error(400, "body must be a JSON object");

  if (auto it = document.find("channel"); it != document.end()) {
    if (!it->is_string()) return Error(400, "\"channel\" must be a string");
    if (std::string e = AddChannel(it->get<std::string>(), out); !e.empty()) return Error(400, e);
  }
  if (auto it = document.find("channels"); it != document.end()) {
    if (!it->is_array()) return Error(400, "\"channels\" must be an array of strings");
    for (const auto& element : *it) {
      if (!element.is_string()) return Error(400, "\"channels\" must be an array of strings");
      if (std::string e = AddChannel(element.get<std::string>(), out); !e.empty()) return Error(400, e);
    }
  }
  if (out->channels.empty()) return Error(400, "no channel given: set \"channel\" or \"channels\"");

  if (auto it = document.find("event"); it != document.end()) {
    if (!it->is_string()) return Error(400, "\"event\" must be a string");
    out->event = it->get<std::string>();
    if (std::string e = ValidateEventName(out->event); !e.empty()) return Error(400, e);
  }
  auto data = document.find("data");
  if (data == document.end()) return Error(400, "missing \"data\"");
  if (data->is_string()) {
    out->data = data->get<std::string>();
    out->data_is_json = false;
  } else {
    // Invalid UTF-8 cannot reach here: the JSON parser rejected it already.
    out->data = data->dump();
    out->data_is_json = true;
  }
  return {};
}

PublishParseResult ParseForm(std::string_view body, PublishRequest* out) {
  bool have_message = false;
  for (const auto& [key, value] : ParseQuery(body)) {
    if (key == "channel" || key == "channels") {
      if (std::string e = AddChannel(value, out); !e.empty()) return Error(400, e);
    } else if ((key == "message" || key == "data") && !have_message) {
      out->data = value;
      have_message = true;
    } else if (key == "event") {
      out->event = value;
      if (std::string e = ValidateEventName(out->event); !e.empty()) return Error(400, e);
    }
  }
  if (out->channels.empty()) return Error(400, "no channel given: add channel=<name>");
  if (!have_message) return Error(400, "missing message: add message=<text>");
  // Browsers decode event streams as UTF-8; reject bytes they would mangle.
  if (!IsValidUtf8(out->data)) return Error(400, "message is not valid UTF-8");
  if (!IsValidUtf8(out->event)) return Error(400, "event name is not valid UTF-8");
  out->data_is_json = false;
  return {};
}

}  // namespace

PublishParseResult ParsePublishRequest(std::string_view content_type, std::string_view body,
                                       PublishRequest* out) {
  std::string media = MediaType(content_type);
  if (media == "application/json" || (media.size() > 5 && media.compare(media.size() - 5, 5, "+json") == 0)) {
    return ParseJson(body, out);
  }
  if (media == "application/x-www-form-urlencoded") return ParseForm(body, out);
  if (media.empty()) return Error(415, "missing Content-Type: use application/json or application/x-www-form-urlencoded");
  return Error(415, "unsupported Content-Type '" + media + "': use application/json or application/x-www-form-urlencoded");
}

}  // namespace ssebridge
