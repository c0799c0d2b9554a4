// History: the in-memory record of recent resumable messages per channel,
// bounded by count per channel, age, total bytes and the number of channels.
// Pure data structure (no I/O, the clock is passed in), so retention and gap
// rules are unit-tested.
//
// Gap rule. For each channel the history keeps a trim watermark: the highest
// id it ever dropped (by count, age, memory or the channel cap). A channel
// dropped entirely raises a shared watermark instead, so forgotten channels
// still count. A resume from id L on channel C is complete iff
// L >= watermark(C); the history also knows from which id it started
// recording (`recording_since`): anything older is unknown to it.
//
// Memory. bytes() is what the history really holds on the heap, not just the
// message bytes: every channel's map node, name and entry array, every frame
// object and buffer, and the global eviction order. The byte limit applies to
// that sum, so --history-max-bytes bounds the process's growth however the
// bytes are spread over channels (many one-off channels cost mostly
// bookkeeping). A frame shared by several channels is charged once per
// channel: the count errs on the safe side.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ssebridge/frame.h"
#include "ssebridge/intrusive_list.h"

namespace ssebridge {

class History {
 public:
  struct Limits {
    size_t messages_per_channel = 1000;  // 0 disables history.
    uint64_t ttl_ms = 3600 * 1000;
    size_t max_bytes = 64u << 20;
    size_t max_channels = 100000;        // Channels with retained messages; the least recently used goes.
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
    // The newest retained id after `after` that the limit left out (0: none):
    // entries holds every retained message newer than it.
    uint64_t omitted = 0;
  };

  explicit History(Limits limits) : limits_(limits) {}
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  bool enabled() const { return limits_.messages_per_channel > 0; }

  // Records a message. Ids must increase per channel; a repeated or older id is
  // ignored (returns false), which makes re-delivery after a reconnect harmless.
  bool Append(const std::string& channel, uint64_t id, const FrameRef& frame, uint64_t now_ms);

  // Drops what is older than the TTL. Call periodically.
  void ExpireOld(uint64_t now_ms);

  // Gathers retained messages with id > after for exact channels and patterns:
  // with max_messages > 0 only the newest max_messages of them, and never
  // more than twice that many at a time (the work is bounded by the channels
  // matched plus the limit, not by how much they hold).
  Collected Collect(const std::vector<std::string>& topics, uint64_t after, size_t max_messages = 0) const;

  // Marks the point from which recording is known to be complete for every
  // channel (embedded mode: the first id this process issues).
  void set_recording_since(uint64_t id) { recording_since_ = id; }
  uint64_t recording_since() const { return recording_since_; }

  // Heap bytes held (see "Memory" above), kept at or below limits().max_bytes
  // except for the map's bucket array when the limit is absurdly small.
  size_t bytes() const { return bytes_ + BucketBytes(); }
  size_t message_count() const { return message_count_; }
  // Channels with at least one retained message (at most limits().max_channels).
  size_t channel_count() const { return lru_size_; }
  // Channels dropped whole because of limits().max_channels, since creation.
  uint64_t evicted_channels() const { return evicted_channels_; }
  const Limits& limits() const { return limits_; }

  // Recomputes bytes() from scratch by walking every structure. For tests:
  // it must always equal bytes().
  size_t RecountBytes() const;

  // The heap cost of one allocation of `size` bytes with glibc's malloc
  // (header and 16-byte rounding, 32 bytes at least). Exposed for tests.
  static size_t HeapBytes(size_t size);

 private:
  // A channel's entries, oldest first, in one array used as a ring buffer.
  // One allocation sized to what the channel holds: a std::deque takes a
  // 512-byte block plus its map even for a single entry, which made a one-off
  // channel cost ten times the message it kept.
  class Ring {
   public:
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    size_t capacity() const { return slots_.size(); }
    const Entry& operator[](size_t i) const { return slots_[(head_ + i) % slots_.size()]; }
    const Entry& front() const { return (*this)[0]; }
    const Entry& back() const { return (*this)[size_ - 1]; }
    void PushBack(Entry entry);
    // Releases the oldest entry's frame; gives memory back when mostly empty.
    void PopFront();

   private:
    void Reallocate(size_t capacity);
    std::vector<Entry> slots_;
    size_t head_ = 0;
    size_t size_ = 0;
  };

  struct Channel {
    const std::string* name = nullptr;  // The map key (node-based map: stable).
    Ring entries;
    uint64_t watermark = 0;
    size_t global_refs = 0;   // Entries of order_ pointing here (some may be stale).
    size_t charged = 0;       // What bytes_ holds for this channel's node, name and ring.
    ListHook lru;             // On lru_ while it has entries, least recently appended first.
  };
  struct OrderRef {
    Channel* channel;
    uint64_t id;
  };
  using ChannelMap = std::unordered_map<std::string, Channel>;

  static size_t FrameBytes(const FrameRef& frame);
  static size_t ChannelBytes(const std::string& name, const Channel& channel);
  static constexpr size_t kOrderRefBytes = sizeof(OrderRef) + 1;  // Plus the deque's block map, amortised.
  // libstdc++ keeps a map's single initial bucket inline; more are one array.
  size_t BucketBytes() const {
    return channels_.bucket_count() > 1 ? HeapBytes(channels_.bucket_count() * sizeof(void*)) : 0;
  }
  void Recharge(Channel* channel);
  void DropFront(Channel* channel);
  void EvictChannel(Channel* channel);
  void PopOrder();
  void CompactOrderIfMostlyStale();
  static bool IsLive(const OrderRef& ref);
  void ReleaseIfUnused(Channel* channel);
  void CollectChannel(const Channel& channel, uint64_t after, size_t max_messages, uint64_t* floor,
                      Collected* out) const;
  static void KeepNewest(size_t max_messages, uint64_t* floor, Collected* out);

  Limits limits_;
  ChannelMap channels_;
  IntrusiveList<Channel> lru_;   // Channels with entries, by last append.
  size_t lru_size_ = 0;
  std::deque<OrderRef> order_;   // Append order across channels, for age and memory eviction.
  size_t stale_refs_ = 0;        // References in order_ to entries already dropped.
  uint64_t removed_watermark_ = 0;
  uint64_t recording_since_ = 0;
  uint64_t evicted_channels_ = 0;
  size_t bytes_ = 0;
  size_t message_count_ = 0;
};

}  // namespace ssebridge
