// History: the in-memory record of recent resumable messages per channel,
// bounded by count per channel, age, and total bytes. Pure data structure (no
// I/O, the clock is passed in), so retention and gap rules are unit-tested.
//
// Gap rule. For each channel the history keeps a trim watermark: the highest
// id it ever dropped (by count, age or memory). A channel dropped entirely
// raises a shared watermark instead, so forgotten channels still count. A
// resume from id L on channel C is complete iff L >= watermark(C); the
// history also knows from which id it started recording (`recording_since`):
// anything older is unknown to it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ssebridge/frame.h"

namespace ssebridge {

class History {
 public:
  struct Limits {
    size_t messages_per_channel = 1000;  // 0 disables history.
    uint64_t ttl_ms = 3600 * 1000;
    size_t max_bytes = 64u << 20;
  };

  struct Entry {
    uint64_t id;
    uint64_t stored_at_ms;
    FrameRef frame;
  };

  // What a replay request found.
  struct Collected {
    std::vector<const Entry*> entries;  // id > after, ascending, unique.
    uint64_t watermark = 0;             // Highest dropped id among the channels asked for.
    uint64_t oldest_id = 0;             // Oldest retained id among them (0 if none).
  };

  explicit History(Limits limits) : limits_(limits) {}

  bool enabled() const { return limits_.messages_per_channel > 0; }

  // Records a message. Ids must increase per channel; a repeated or older id is
  // ignored (returns false), which makes re-delivery after a reconnect harmless.
  bool Append(const std::string& channel, uint64_t id, const FrameRef& frame, uint64_t now_ms);

  // Drops what is older than the TTL. Call periodically.
  void ExpireOld(uint64_t now_ms);

  // Gathers retained messages with id > after for exact channels and patterns.
  Collected Collect(const std::vector<std::string>& topics, uint64_t after) const;

  // Marks the point from which recording is known to be complete for every
  // channel (embedded mode: the first id this process issues).
  void set_recording_since(uint64_t id) { recording_since_ = id; }
  uint64_t recording_since() const { return recording_since_; }

  size_t bytes() const { return bytes_; }
  size_t message_count() const { return message_count_; }
  size_t channel_count() const { return channels_.size(); }
  const Limits& limits() const { return limits_; }

 private:
  struct Channel {
    std::string name;
    std::deque<Entry> entries;
    uint64_t watermark = 0;
    size_t global_refs = 0;  // Entries of order_ pointing here (some may be stale).
  };
  struct OrderRef {
    Channel* channel;
    uint64_t id;
  };

  static size_t EntryBytes(const Entry& entry);
  void DropFront(Channel* channel);
  void PopOrder();
  void ReleaseIfUnused(Channel* channel);
  void CollectChannel(const Channel& channel, uint64_t after, Collected* out) const;

  Limits limits_;
  std::unordered_map<std::string, std::unique_ptr<Channel>> channels_;
  std::deque<OrderRef> order_;  // Append order across channels, for age and memory eviction.
  uint64_t removed_watermark_ = 0;
  uint64_t recording_since_ = 0;
  size_t bytes_ = 0;
  size_t message_count_ = 0;
};

// Our ids are decimal integers; anything else is not resumable.
bool ParseEventId(std::string_view text, uint64_t* id);

}  // namespace ssebridge
