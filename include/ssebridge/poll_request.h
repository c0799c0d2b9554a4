// Long-polling: how a request is recognised as a poll (one answer with what
// is pending, ending with Content-Length) rather than an open event stream,
// and the poll cursor a poll answer hands back so that the next poll loses
// nothing. Pure functions of the request; no I/O.
//
// The rule, in order:
//   1. `poll=1|true|yes|on` makes it a poll, `poll=0|false|no|off` a stream;
//   2. `Accept` naming text/event-stream (every EventSource, and streaming
//      polyfills) makes it a stream;
//   3. a `_` parameter (jQuery's cache-buster, sent by $.ajax with
//      cache:false, same-origin or not), a `cursor` parameter or the header
//      `X-Requested-With: XMLHttpRequest` make it a poll;
//   4. anything else (curl -N, a plain GET) is a stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssebridge/http_request.h"

namespace ssebridge {

// Where the previous poll of a client ended: the hold that kept its
// messages since (0: none), and the newest resumable id it received
// (0: none). Text form "<16 hex digits>.<decimal id>".
struct PollCursor {
  uint64_t token = 0;
  uint64_t last_id = 0;

  bool operator==(const PollCursor& other) const { return token == other.token && last_id == other.last_id; }
};

struct PollRequest {
  std::optional<PollCursor> cursor;  // From the `cursor` parameter, else the channel set's cookie.
};

std::string FormatPollCursor(const PollCursor& cursor);
bool ParsePollCursor(std::string_view text, PollCursor* out);

// The cookie that carries a browser's cursor for one set of channels:
// "ssebridge_poll_" plus 8 hex digits of a hash of the sorted channel names,
// so pages polling different channels do not take each other's cursors.
std::string PollCookieName(const std::vector<std::string>& channels);

// Decides whether the request is a poll (rule above). Sets *is_poll, and
// out->cursor from the `cursor` parameter, else from the cookie named for
// `channels` (a malformed cookie is ignored: it expires by itself). Returns
// "" or the reason for a 400: a `poll` value that is not a yes or no, a
// malformed `cursor` parameter.
std::string ParsePollRequest(std::string_view query, const HttpRequest& request,
                             const std::vector<std::string>& channels, bool* is_poll, PollRequest* out);

// The Set-Cookie value that hands `cursor` back to a browser:
// "<name>=<cursor>; Path=<path>; Max-Age=<seconds>; HttpOnly; SameSite=Lax".
std::string PollCookie(const std::vector<std::string>& channels, const PollCursor& cursor, std::string_view path,
                       uint32_t max_age_seconds);

}  // namespace ssebridge
