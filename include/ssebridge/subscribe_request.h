// Turns "GET /events/a/b?channel=c&lastEventId=7" into a validated list of
// channels and an optional resume point.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssebridge/http_request.h"
#include "ssebridge/poll_request.h"

namespace ssebridge {

struct SubscribeRequest {
  std::vector<std::string> channels;  // Deduplicated, in first-seen order.
  std::optional<std::string> last_event_id;
  // Set for a long poll (see poll_request.h): one answer, not a stream.
  std::optional<PollRequest> poll;
  // `client_id=<id>` (validated, see client_id.h) or `register=1`: the
  // stream is registered under a client id. The stream handler fills
  // client_id (choosing one for register=1) and adds the private channel.
  std::string client_id;
  bool register_client = false;
  // Milliseconds until the token the stream was opened with expires (its
  // exp plus --jwt-leeway); unset without a token or exp. The stream then
  // ends with a `token-expired` event (EventStream::EndTokenExpired).
  std::optional<uint64_t> credential_ttl_ms;
};

// `rest` is the path after "/events/" (percent-encoded), `query` the raw query.
// Channels come from the path segments and from repeated `channel`/`channels`
// parameters (`channels[]` too, as jQuery's $.param writes arrays). The resume point comes from the Last-Event-ID header, else from
// `lastEventId` / `last_event_id`. `user=<name>` adds the channel
// `user:<name>` (`user=me`: the subscriber's own, see user_channel.h). At most `max_channels` distinct channels
// are accepted. With `empty_subscribes_all` (--empty-subscribe-all) a request
// naming no channel subscribes to the pattern "*" (every channel); otherwise
// it is refused. Returns "" or the reason for a 400. *out must be empty.
std::string ParseSubscribeRequest(std::string_view rest, std::string_view query, const HttpRequest& request,
                                  size_t max_channels, SubscribeRequest* out, bool empty_subscribes_all = false);

// The pattern a stream naming no channel subscribes to under --empty-subscribe-all.
inline constexpr std::string_view kAllChannelsPattern = "*";

class UniqueChannels;

// Validates `name` and adds it to a stream's channels; "" or the reason for
// a 400 (a bad name, more than `max_channels` (--max-channels-per-subscribe)).
std::string AddStreamChannel(const std::string& name, UniqueChannels* channels, size_t max_channels);

// True for the query parameters a stream URL understands (channel, channels,
// channels[], lastEventId, last_event_id, poll, cursor, client_id, register,
// access_token, user) or ignores (_, uuid). A query with any
// other parameter is a publish by query (W3C SSE-Server style), not a
// subscription.
bool IsStreamParameter(std::string_view key);

}  // namespace ssebridge
