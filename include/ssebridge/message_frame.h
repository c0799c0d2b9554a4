// The SSE frames of messages, encoded once and shared by every stream that
// receives them, and the sizes they will take in a stream's queue, known
// before anything is encoded (so an oversized message can be refused first).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ssebridge/frame.h"

namespace ssebridge {

struct Message;
struct PublishRequest;
struct SseEvent;

// Encodes a message into its shared SSE frame.
FrameRef EncodeMessageFrame(const Message& message);
// The same from the event's fields; `sequence` is the resumable id (or 0).
FrameRef EncodeEventFrame(const SseEvent& event, uint64_t sequence);

// The bytes a stream queues for EncodeMessageFrame(message) (its chunked
// form, the larger one), computed without encoding it. A frame larger than
// --client-buffer-bytes cannot be queued by any stream: delivering it would
// cut every subscriber off as a slow consumer.
size_t MessageFrameSize(const Message& message);

// The most bytes a stream may queue for the message of this publish, whatever
// id the broker gives it (ids are decimal and at most 20 digits long).
size_t MaxPublishedFrameSize(const PublishRequest& request);

// The event that tells a resuming client it missed messages:
//   event: gap
//   data: {"lastEventId":"...","oldestId":"...","reason":"..."}
// It has no id, so the browser keeps its Last-Event-ID until the next message.
FrameRef EncodeGapFrame(const std::string& last_event_id, uint64_t oldest_id, const std::string& reason);

// A `gap` event frame whose data is `json` (already a JSON object): the one
// shape both a resume's gap and the user queue's overflow notice take.
FrameRef EncodeGapEventFrame(const std::string& json);

}  // namespace ssebridge
