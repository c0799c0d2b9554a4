#include "ssebridge/broker.h"

#include "ssebridge/metrics.h"

namespace ssebridge {

bool AnswerIfHistoryDisabled(bool history_enabled, Counters* counters, CompletionQueue* completions,
                             ReplayCallback& done) {
  ++counters->replays;
  if (history_enabled) return false;
  CountReplayGap(counters, GapReasonName(GapReason::kHistoryDisabled));
  PostReplay(completions, std::move(done), GapOnly(GapReason::kHistoryDisabled));
  return true;
}

void PostReplay(CompletionQueue* completions, ReplayCallback done, ReplayResult result) {
  completions->Post([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

}  // namespace ssebridge
