// UserQueue: the embedded broker's offline queue for per-user messages
// (Alfresco's "queued message lifetime"). A message published to a user
// channel (user_channel.h) that reached no stream is kept here, per user,
// until that user's channel gets a subscriber, then delivered once.
//
// Bounds: each message lives at most `ttl_ms`; each user holds at most
// `per_user` messages, the oldest dropped first; all users together hold
// at most `max_bytes` of frames, a message that would pass that is dropped
// itself. Every drop is remembered per user, so the next delivery starts
// with a `gap` event saying how many were lost (EncodeUserQueueGapFrame).
// Pure: the caller passes the loop's clock, nothing is logged or counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "ssebridge/frame.h"

namespace ssebridge {

class UserQueue {
 public:
  struct Limits {
    uint64_t ttl_ms = 1000 * 1000;  // --user-queue-ttl (0: no queue)
    size_t per_user = 100;          // --user-queue-size (0: no queue)
    size_t max_bytes = 64u << 20;   // All users together (kUserQueueMaxBytes).
  };
  struct Drained {
    std::vector<FrameRef> frames;  // Oldest first, none expired.
    uint64_t dropped = 0;          // Lost to the bounds since the last drain.
  };

  explicit UserQueue(Limits limits) : limits_(limits) {}

  bool enabled() const { return limits_.ttl_ms > 0 && limits_.per_user > 0; }

  // Keeps `frame` for `channel`. Returns how many messages were dropped to
  // respect the bounds (the oldest of this user, or this one).
  size_t Add(const std::string& channel, FrameRef frame, uint64_t now_ms);

  // True when `channel` has messages or a drop to report.
  bool Holds(const std::string& channel) const { return boxes_.count(channel) != 0; }

  // Removes and returns what `channel` holds (expired messages left out).
  // `expired` (optional) is increased by the number of those.
  Drained Take(const std::string& channel, uint64_t now_ms, size_t* expired = nullptr);

  // Puts back what a drain could not deliver (its subscriber left first),
  // in front of anything queued meanwhile; the bounds apply again.
  size_t PutBack(const std::string& channel, Drained drained, uint64_t now_ms);

  // Drops expired messages, and users with nothing left whose last drop
  // is older than the ttl. Returns the number of messages dropped.
  size_t Expire(uint64_t now_ms);

  size_t messages() const { return messages_; }
  size_t bytes() const { return bytes_; }
  size_t users() const { return boxes_.size(); }

 private:
  struct Item {
    FrameRef frame;
    uint64_t expires_ms;
  };
  struct Box {
    std::deque<Item> items;
    uint64_t dropped = 0;
    uint64_t keep_until_ms = 0;  // Of the drop report, once no item is left.
  };
  void DropFront(Box& box);

  Limits limits_;
  std::unordered_map<std::string, Box> boxes_;
  size_t messages_ = 0;
  size_t bytes_ = 0;
};

// The bytes a queued frame is charged: its chunked form, the larger one.
size_t UserQueueCharge(const FrameRef& frame);

// event: gap
// data: {"lastEventId":null,"oldestId":null,"reason":"user-queue-full","dropped":N}
// Sent to a user's stream before the queued messages when N were lost.
FrameRef EncodeUserQueueGapFrame(uint64_t dropped);

}  // namespace ssebridge
