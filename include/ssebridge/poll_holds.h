// PollHolds: what a long-polling client missed between two polls. When a
// poll is answered, a hold subscribes to the poll's channels (before the
// poll's own stream unsubscribes, so nothing falls between them) and keeps
// every frame published to them, ids or not. The next poll that brings the
// hold's token takes the frames and drops the hold.
//
// Bounded in time and memory: a hold lives at most `hold_ms` (expired by
// Expire(), from the loop's sweep), keeps at most `max_bytes` of events (past
// that it drops them and is marked incomplete, so the next poll falls back
// to a replay by id), and at most `max_holds` exist (the oldest is dropped
// first). Holds are local to this process.
//
// A hold is a registry subscriber like a stream: /stats counts it, so a
// polling client counts once whether a poll is open or not.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "ssebridge/frame.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/secure_random.h"

namespace ssebridge {

class PollHolds {
 public:
  struct Options {
    uint64_t hold_ms = 15000;
    size_t max_bytes = 1 << 20;  // Per hold, counting each event's raw form.
    size_t max_holds = 65536;
  };

  enum class State { kMissing, kComplete, kIncomplete };

  // Where tokens come from. A poller sees its own tokens in its cursors, so
  // they must not let it work out another poller's (and take its held
  // messages): the default reads the kernel's random source.
  using RandomBytes = bool (*)(void* out, size_t size);
  PollHolds(PubsubRegistry* registry, Options options, RandomBytes random = SecureRandomBytes);
  ~PollHolds() { Clear(); }
  PollHolds(const PollHolds&) = delete;
  PollHolds& operator=(const PollHolds&) = delete;

  // Starts holding for `channels` (validated names, as a stream subscribes
  // them). Returns the hold's token, never 0.
  uint64_t Open(const std::vector<std::string>& channels, uint64_t now_ms);

  // Whether hold `token` exists for exactly this channel set (in any order),
  // and whether it kept everything since it opened.
  State Check(uint64_t token, const std::vector<std::string>& channels) const;

  // Removes hold `token` (if any) and returns its frames in arrival order.
  // Call it after the taker subscribed, so that nothing falls between them.
  std::vector<FrameRef> Take(uint64_t token);

  // Drops holds older than hold_ms. Not inside a fan-out.
  void Expire(uint64_t now_ms);
  void Clear();

  size_t size() const { return by_token_.size(); }

 private:
  struct Hold final : StreamSink {
    void SendFrame(const FrameRef& frame) override;
    void CutOff(const char* why) override;

    uint64_t token = 0;
    uint64_t opened_ms = 0;
    size_t max_bytes = 0;
    size_t bytes = 0;
    bool complete = true;
    std::vector<std::string> sorted_channels;
    std::vector<FrameRef> frames;
    PubsubRegistry::Subscriber* subscriber = nullptr;
  };
  using List = std::list<Hold>;

  uint64_t NextToken();
  void Drop(List::iterator hold);

  PubsubRegistry* registry_;
  Options options_;
  RandomBytes random_;
  uint64_t fallback_state_ = 0;  // splitmix64, only if the kernel refuses random bytes.
  List holds_;      // Oldest first: all share one lifetime.
  std::unordered_map<uint64_t, List::iterator> by_token_;
};

}  // namespace ssebridge
