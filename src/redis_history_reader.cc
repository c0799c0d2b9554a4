#include "ssebridge/redis_history_reader.h"

#include <algorithm>

#include "ssebridge/event_id.h"
#include "ssebridge/log.h"
#include "ssebridge/metrics.h"
#include "ssebridge/redis_scripts.h"

namespace ssebridge {

RedisHistoryReader::RedisHistoryReader(RedisCommandSender* sender, CompletionQueue* completions, Counters* counters,
                                       const History* history, const ReplayLimits* limits)
    : counters_(counters),
      history_(history),
      limits_(limits),
      completions_(completions),
      script_(sender, completions, kFetchScript) {}

void RedisHistoryReader::Fetch(const Asked& asked, FetchCallback done) {
  // The script's bound (see fetch.lua): the replay's message count, and
  // twice its bytes because the script counts envelopes, which JSON escaping
  // can make larger than the events; the exact byte bound is applied to the
  // decoded frames (BoundReplay).
  std::vector<std::string> args = {"0", std::to_string(history_->limits().ttl_ms) + ":" +
                                            std::to_string(limits_->max_messages) + ":" +
                                            std::to_string(2 * limits_->max_bytes)};
  for (const auto& [topic, after] : asked) {
    args.push_back(topic);
    args.push_back(std::to_string(after));
  }
  ++counters_->redis_history_reads;
  script_.Run(std::move(args), [done = std::move(done)](const redisReply* reply) {
    FetchResult result = ParseFetchReply(reply);
    if (!result.ok) {
      LOG_WARN("redis: history read failed: %s",
               reply == nullptr ? "no connection" : std::string(ReplyText(reply)).c_str());
    }
    done(std::move(result));
  });
}

bool RedisHistoryReader::ServeFromMemory(const std::vector<std::string>& topics, uint64_t after,
                                         ReplayResult* result) {
  History::Collected collected = history_->Collect(topics, after, limits_->max_messages);
  // Trimmed locally does not mean lost: Redis may keep more.
  if (collected.watermark > after) return false;
  AddCollected(collected, result);
  BoundReplay(*limits_, after, collected.omitted, counters_, result);
  ++counters_->replays_from_memory;
  return true;
}

void RedisHistoryReader::Replay(const std::vector<std::string>& topics, const std::string& after_text,
                                std::optional<uint64_t> local_after, ReplayCallback done) {
  uint64_t after = 0;
  const bool known = ParseEventId(after_text, &after);
  ReplayResult result;
  if (known && local_after && *local_after <= after && ServeFromMemory(topics, after, &result)) {
    PostReplay(completions_, std::move(done), std::move(result));
    return;
  }
  ++counters_->replays_from_redis;
  std::vector<std::string> sorted = topics;
  std::sort(sorted.begin(), sorted.end());
  // An unparsable id is read from the start; one that parses but was never
  // issued is found out by the read (it is newer than the clock).
  Read(std::move(sorted), Waiter{known ? after : 0, known, std::move(done)});
}

void RedisHistoryReader::Read(std::vector<std::string> sorted, Waiter waiter) {
  std::string key;
  for (const std::string& topic : sorted) key.append(topic).push_back('\n');
  const uint64_t read_from = waiter.after;
  auto it = reads_.find(key);
  if (it != reads_.end() && it->second.after <= read_from) {
    // A read of these topics from an earlier point is under way: share it.
    it->second.waiters.push_back(std::move(waiter));
    return;
  }
  Asked asked;
  for (const std::string& topic : sorted) asked.emplace_back(topic, read_from);
  SharedRead read{read_from, std::move(sorted), {}};
  read.waiters.push_back(std::move(waiter));
  if (it != reads_.end()) {
    // A later read is in flight and cannot serve this resume; read alone.
    Fetch(asked, [this, read = std::move(read)](FetchResult fetched) mutable {
      AnswerWaiters(std::move(read), fetched);
    });
    return;
  }
  reads_.emplace(key, std::move(read));
  Fetch(asked, [this, key](FetchResult fetched) {
    auto found = reads_.find(key);
    if (found == reads_.end()) return;
    SharedRead shared = std::move(found->second);
    reads_.erase(found);
    AnswerWaiters(std::move(shared), fetched);
  });
}

void RedisHistoryReader::AnswerWaiters(SharedRead read, const FetchResult& fetched) {
  std::vector<StoredChannel> channels;
  for (const FetchedChannel& channel : fetched.channels) channels.push_back({channel.watermark, channel.missing});
  for (Waiter& waiter : read.waiters) {
    if (!fetched.ok) {
      CountReplayGap(counters_, GapReasonName(GapReason::kUnavailable));
      waiter.done(GapOnly(GapReason::kUnavailable));
      continue;
    }
    if (waiter.known && waiter.after > fetched.clock) {
      // An id above the clock was never issued: the stream restarts from the
      // oldest retained message, which this read (from that id, or from the
      // earlier id of a resume it shared with) does not hold. Read again
      // from the start, within the same bound, as for an unparsable id.
      Read(read.topics, Waiter{0, false, std::move(waiter.done)});
      continue;
    }
    ReplayResult result;
    for (const FetchedMessage& message : fetched.messages) {
      if (message.id > waiter.after) result.frames.push_back(message.frame);
    }
    if (!fetched.messages.empty()) result.oldest_id = fetched.messages.front().id;
    ResumeFacts facts;
    // Known ids here are at or below the clock (newer ones were read again).
    facts.id_known = waiter.known;
    facts.after = waiter.after;
    facts.epoch = fetched.epoch;
    facts.now_us = fetched.now_us;
    facts.ttl_us = history_->limits().ttl_ms * 1000;
    MarkGap(ResumeGap(facts, channels), &result);
    // A shared read started at the earliest waiter's id; for this one, what
    // the read's bound left out matters only if it is newer than its id.
    BoundReplay(*limits_, waiter.after, fetched.omitted, counters_, &result);
    waiter.done(std::move(result));
  }
}

}  // namespace ssebridge
