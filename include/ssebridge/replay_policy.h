// Replay policy: what a resuming stream is sent and which gap it is told
// about, shared by both brokers. Pure functions of what a history store
// reports (local History or the Redis fetch script): no I/O, no clocks, no
// broker state, so every rule is unit-tested on its own
// (test/unit/replay_policy_test.cc).
//
// The gap reasons a client can see, in the order they are decided:
//   unknown-id        the resume id is not one this history issued;
//   history-reset     the history restarted after the resume id (Redis lost its data);
//   trimmed           retention dropped messages after the resume id;
//   expired           a channel's whole history expired while the client was away;
//   too-many          the replay bounds left out messages after the resume id;
//   unavailable       the history could not be read;
//   history-disabled  there is no history to resume from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ssebridge/frame.h"
#include "ssebridge/history.h"

namespace ssebridge {

struct Counters;

// What a resuming stream gets before it goes live.
struct ReplayResult {
  std::vector<FrameRef> frames;  // Retained messages after the resume id, ascending, unique.
  bool gap = false;              // Some messages after the resume id are lost or unknown.
  std::string gap_reason;        // One of the reasons above.
  uint64_t oldest_id = 0;        // Oldest id still retained on the stream's topics (0: none).
  // The resume id means nothing here (unknown-id): the frames start from the
  // oldest retained message, so the stream must not filter by the client's id.
  bool from_start = false;
};

// How much one resume may replay: the newest messages within both bounds are
// sent, the older ones are reported by a gap ("too-many").
struct ReplayLimits {
  size_t max_messages = 10000;     // --max-replay-messages
  size_t max_bytes = 1 << 20;      // --client-buffer-bytes (the frames' chunked size)
};

enum class GapReason { kNone, kUnknownId, kHistoryReset, kTrimmed, kExpired, kTooMany, kUnavailable, kHistoryDisabled };

// The name a client sees in the gap event ("" for kNone).
const char* GapReasonName(GapReason reason);

// What a history store knows about one resume point.
struct ResumeFacts {
  // The resume id parsed and is one this history could have issued (not
  // newer than its newest id, not older than where its recording began).
  bool id_known = false;
  uint64_t after = 0;   // The resume id, when known.
  uint64_t epoch = 0;   // First id of the current history: older ids predate a reset (0: never reset).
  uint64_t now_us = 0;  // The store's clock and retention age, for "expired".
  uint64_t ttl_us = 0;
};

// What the store reports about one channel it read.
struct StoredChannel {
  uint64_t watermark = 0;  // Newest id retention dropped (0: none).
  bool missing = false;    // No history at all: never published, or expired.
};

// Why messages after the resume id are missing, before the replay bounds are
// applied (BoundReplay decides "too-many"): the first reason that applies in
// the order above, channels in the order given. kNone: nothing is missing.
GapReason ResumeGap(const ResumeFacts& facts, const std::vector<StoredChannel>& channels);

// Records a gap in the result (nothing for kNone). An unknown id also marks
// the result as starting from the oldest retained message.
void MarkGap(GapReason reason, ReplayResult* result);

// A result with only a gap and no frames (history disabled or unreadable).
ReplayResult GapOnly(GapReason reason);

// Moves what History::Collect() found into a replay result.
void AddCollected(const History::Collected& collected, ReplayResult* result);

// Keeps the newest frames of an ascending replay within both limits. Returns
// the id of the newest frame it dropped (0: none dropped).
uint64_t KeepNewestFrames(const ReplayLimits& limits, std::vector<FrameRef>* frames);

// The last step of every replay: applies the limits, and when messages after
// the resume id were left out (`omitted` above `after`, or dropped here)
// turns the result into a "too-many" gap unless it already reports a gap.
// Counts the truncation and the gap.
void BoundReplay(const ReplayLimits& limits, uint64_t after, uint64_t omitted, Counters* counters,
                 ReplayResult* result);

}  // namespace ssebridge
