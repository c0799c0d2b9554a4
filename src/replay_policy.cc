#include "ssebridge/replay_policy.h"

#include <algorithm>

#include "ssebridge/metrics.h"

namespace ssebridge {

const char* GapReasonName(GapReason reason) {
  switch (reason) {
    case GapReason::kNone: return "";
    case GapReason::kUnknownId: return "unknown-id";
    case GapReason::kHistoryReset: return "history-reset";
    case GapReason::kTrimmed: return "trimmed";
    case GapReason::kExpired: return "expired";
    case GapReason::kTooMany: return "too-many";
    case GapReason::kUnavailable: return "unavailable";
    case GapReason::kHistoryDisabled: return "history-disabled";
  }
  return "";
}

GapReason ResumeGap(const ResumeFacts& facts, const std::vector<StoredChannel>& channels) {
  if (!facts.id_known) return GapReason::kUnknownId;
  // Nothing before the current history's first id can be vouched for.
  if (facts.after < facts.epoch) return GapReason::kHistoryReset;
  for (const StoredChannel& channel : channels) {
    if (channel.watermark > facts.after) return GapReason::kTrimmed;
    // No history left and the client was away longer than the retention age:
    // messages may have expired with it.
    if (channel.missing && facts.after + facts.ttl_us < facts.now_us) return GapReason::kExpired;
  }
  return GapReason::kNone;
}

void MarkGap(GapReason reason, ReplayResult* result) {
  if (reason == GapReason::kNone) return;
  result->gap = true;
  result->gap_reason = GapReasonName(reason);
  if (reason == GapReason::kUnknownId) result->from_start = true;
}

ReplayResult GapOnly(GapReason reason) {
  ReplayResult result;
  MarkGap(reason, &result);
  return result;
}

void AddCollected(const History::Collected& collected, ReplayResult* result) {
  for (const History::Entry* entry : collected.entries) result->frames.push_back(entry->frame);
  result->oldest_id = collected.oldest_id;
}

uint64_t KeepNewestFrames(const ReplayLimits& limits, std::vector<FrameRef>* frames) {
  size_t kept = 0;
  size_t bytes = 0;
  // Newest first: a stream resuming after a long absence wants the present.
  while (kept < frames->size()) {
    const size_t size = (*frames)[frames->size() - 1 - kept]->chunked().size();
    if (kept + 1 > limits.max_messages || bytes + size > limits.max_bytes) break;
    bytes += size;
    ++kept;
  }
  if (kept == frames->size()) return 0;
  const size_t drop = frames->size() - kept;
  const uint64_t newest_dropped = (*frames)[drop - 1]->id();
  frames->erase(frames->begin(), frames->begin() + static_cast<std::ptrdiff_t>(drop));
  return newest_dropped;
}

void BoundReplay(const ReplayLimits& limits, uint64_t after, uint64_t omitted, Counters* counters,
                 ReplayResult* result) {
  omitted = std::max(omitted, KeepNewestFrames(limits, &result->frames));
  // For an unknown id everything retained was asked for.
  const bool truncated = omitted != 0 && (result->from_start || omitted > after);
  if (truncated) {
    ++counters->replays_truncated;
    if (!result->gap) MarkGap(GapReason::kTooMany, result);
  }
  if (result->gap) CountReplayGap(counters, result->gap_reason);
}

}  // namespace ssebridge
