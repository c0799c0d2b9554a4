#include "ssebridge/channel_list_request.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "ssebridge/channel.h"
#include "ssebridge/subscribe_request.h"
#include "ssebridge/untrusted_json.h"
#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

ChannelListParseResult Error(int status, std::string message) {
  return ChannelListParseResult{status, std::move(message)};
}

ChannelListParseResult ParseJson(std::string_view body, UniqueChannels* unique, size_t max_channels) {
  nlohmann::ordered_json json;
  if (std::string error = ParseUntrustedJsonObject(body, &json); !error.empty()) return Error(400, error);
  if (auto it = json.find("channel"); it != json.end()) {
    if (!it->is_string()) return Error(400, "\"channel\" must be a string");
    if (std::string error = AddStreamChannel(it->get<std::string>(), unique, max_channels); !error.empty()) {
      return Error(400, error);
    }
  }
  if (auto it = json.find("channels"); it != json.end()) {
    if (!it->is_array()) return Error(400, "\"channels\" must be an array of strings");
    for (const auto& name : *it) {
      if (!name.is_string()) return Error(400, "\"channels\" must be an array of strings");
      if (std::string error = AddStreamChannel(name.get<std::string>(), unique, max_channels); !error.empty()) {
        return Error(400, error);
      }
    }
  }
  return {};
}

ChannelListParseResult ParseForm(std::string_view body, UniqueChannels* unique, size_t max_channels) {
  for (const auto& [key, value] : ParseQuery(body)) {
    if (key != "channel" && key != "channels" && key != "channels[]") continue;
    if (std::string error = AddStreamChannel(value, unique, max_channels); !error.empty()) return Error(400, error);
  }
  return {};
}

std::string_view MediaType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && isspace(static_cast<unsigned char>(media.front()))) media.remove_prefix(1);
  while (!media.empty() && isspace(static_cast<unsigned char>(media.back()))) media.remove_suffix(1);
  return media;
}

}  // namespace

ChannelListParseResult ParseChannelListRequest(std::string_view content_type, std::string_view body,
                                               size_t max_channels, std::vector<std::string>* out) {
  UniqueChannels unique(out, max_channels);
  const std::string_view media = MediaType(content_type);
  ChannelListParseResult result;
  if (media.empty()) {
    return Error(415, "missing Content-Type: use application/json or application/x-www-form-urlencoded");
  }
  if (EqualsIgnoreCase(media, "application/json") ||
      (media.size() > 5 && EqualsIgnoreCase(media.substr(media.size() - 5), "+json"))) {
    result = ParseJson(body, &unique, max_channels);
  } else if (EqualsIgnoreCase(media, "application/x-www-form-urlencoded")) {
    result = ParseForm(body, &unique, max_channels);
  } else {
    return Error(415, "unsupported Content-Type '" + std::string(media) +
                          "': use application/json or application/x-www-form-urlencoded");
  }
  if (result.error.empty() && out->empty()) {
    return Error(400, "no channel given: set \"channels\" (JSON) or channel=<name> (form)");
  }
  return result;
}

}  // namespace ssebridge
