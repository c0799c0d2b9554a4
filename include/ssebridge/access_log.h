// The access log (--access-log, on by default): one structured log line per
// ended event stream and one per rejected request, in the --log-format of
// every other line (docs/operations.md#access-log). The connection gathers
// the facts; this module names the fields, so each appears under one name
// in both formats.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ssebridge/log.h"

namespace ssebridge {

// What one event stream did, when it ended.
struct StreamAccess {
  std::string peer;          // "address:port" of the client (the proxy's, behind one).
  std::string channels;      // Its channels and patterns, comma-separated (see EventStream::ChannelNames).
  size_t channel_count = 0;
  uint64_t duration_ms = 0;  // From the stream's response head to its end.
  uint64_t events = 0;       // Messages queued to it: live, replayed and held for it.
  uint64_t bytes = 0;        // Of its response (head included) written, plus what an orderly end still sends.
  const char* reason = "";   // Why it ended: one of the StreamEnd names below.
};

// The reasons a stream ends, as they appear in the `reason` field.
namespace stream_end {
inline constexpr const char* kClientClosed = "client-closed";  // The client (or proxy) closed or reset.
inline constexpr const char* kWriteFailed = "write-failed";    // A write to the socket failed.
inline constexpr const char* kCutOff = "cut-off";              // A slow consumer, or cut off by the broker.
inline constexpr const char* kDrain = "drain";                 // SIGTERM's drain (--drain-seconds).
inline constexpr const char* kShutdown = "shutdown";           // SIGINT, or the end of a drain.
inline constexpr const char* kMaxAge = "max-stream-age";       // --max-stream-age.
inline constexpr const char* kTokenExpired = "token-expired";  // The token it was opened with expired.
inline constexpr const char* kEndedByRequest = "ended-by-request";  // DELETE /clients/<id>, or replaced.
}  // namespace stream_end

// A request answered with an error status (or refused before it could be parsed).
struct RejectedRequest {
  int status = 0;
  std::string reason;  // The message of the JSON error body.
  std::string peer;
  std::string method;  // Empty when the request could not be parsed.
  std::string target;  // Path and query as received; the access_token value is redacted here.
};

std::vector<LogField> StreamAccessFields(const StreamAccess& access);
std::vector<LogField> RejectedRequestFields(const RejectedRequest& request);

// Write the line ("stream ended" / "request rejected", level info).
void LogStreamEnded(const StreamAccess& access);
void LogRequestRejected(const RejectedRequest& request);

}  // namespace ssebridge
