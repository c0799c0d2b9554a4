// LongPoll: one long-poll answer in the making on a connection. The
// connection's event stream queues the events (raw framing) exactly as for a
// stream, but nothing is written until the answer is ready: then the queued
// bytes become the body of one response with Content-Length, the next poll
// cursor is handed back (the X-SSE-Poll-Cursor header and a cookie), and the
// connection closes. The connection owns it; the steps that need no socket
// are here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssebridge/config.h"
#include "ssebridge/event_stream.h"
#include "ssebridge/http_response.h"
#include "ssebridge/poll_holds.h"
#include "ssebridge/poll_request.h"
#include "ssebridge/subscribe_request.h"
#include "ssebridge/write_queue.h"

namespace ssebridge {

struct LongPoll {
  std::vector<std::string> channels;
  std::optional<PollCursor> cursor;  // What the client brought.
  HeaderList headers;                // The request's CORS headers.
  int http_minor = 1;
  bool resumed = false;       // The stream started from a resume point (a replay ran).
  size_t preamble_bytes = 0;  // The retry line the stream queued first.
  bool timed_out = false;     // The heartbeat that ends an empty poll is queued.
};

// What the scheduler queues to end a poll that waited --poll-timeout for
// nothing: a comment, so the client gets an answer and polls again.
inline constexpr std::string_view kPollTimeoutHeartbeat = ":\n\n";

// How the poll is being answered, as a label of kLongPollOutcomes (metrics.h),
// given the bytes its queue holds now: "events" when something past the
// preamble and the heartbeat is queued (events that arrived with the timeout
// count as events), else "shutdown" when the server is ending it early,
// else "timeout".
const char* PollOutcome(const LongPoll& poll, size_t queued_bytes, bool shutting_down);

// The resume point a poll starts from: the client's own (Last-Event-ID,
// lastEventId), else, unless the hold kept everything, the newest id the
// previous poll handed out (in its cursor).
std::optional<std::string> PollResumePoint(const SubscribeRequest& subscribe, PollHolds::State hold);

// The newest id the next poll should resume from: what this one queued, else
// what the client brought. After a replay it is the stream's own position
// (0 when the resume point meant nothing here, so that an unknown id is not
// handed back to be refused again at every poll).
uint64_t NextPollLastId(const LongPoll& poll, uint64_t stream_last_sent_id);

// Moves every byte left in `queue` into one string.
std::string DrainQueue(WriteQueue* queue);

// Ends the poll: opens the hold for the next poll (when `open_hold` and
// --poll-hold allow; before the stream unsubscribes, so nothing falls between
// them), stops the stream, and returns the whole answer built from what the
// stream queued, leaving the queue empty.
std::string FinishPoll(const LongPoll& poll, EventStream* stream, WriteQueue* queue, PollHolds* holds,
                       const Config& config, uint64_t now_ms, bool open_hold);

// The whole answer: 200, text/event-stream, Content-Length, the cursor in
// X-SSE-Poll-Cursor and in a cookie for `cookie_path`, Connection: close.
std::string BuildPollAnswer(const LongPoll& poll, std::string_view body, const PollCursor& next,
                            std::string_view cookie_path, uint32_t cookie_max_age_seconds);

}  // namespace ssebridge
