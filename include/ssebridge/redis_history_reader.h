// RedisHistoryReader: the reads of history in Redis, through the fetch script
// (deploy/redis/fetch.lua), for resuming streams and for the live relay's
// catch-up after a subscriber outage.
//
// A resume is served from the local History when the live relay vouches that
// it holds every message after the resume id on all the stream's topics, and
// from Redis otherwise. Concurrent Redis reads of the same topic set are
// shared: a resume joins a read under way from an earlier point, so a
// reconnect storm costs one read per distinct resume point, not per client.
// The gap each resume is told about is decided by the replay policy.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ssebridge/broker.h"
#include "ssebridge/history.h"
#include "ssebridge/redis_history_reply.h"
#include "ssebridge/redis_script_runner.h"

namespace ssebridge {

class RedisHistoryReader {
 public:
  using FetchCallback = std::function<void(FetchResult)>;
  // Topics with the id after which each is read.
  using Asked = std::vector<std::pair<std::string, uint64_t>>;

  // `history` is the local copy (read only here); `limits` bound every read
  // and replay and may change after construction (they are the broker's).
  RedisHistoryReader(RedisCommandSender* sender, CompletionQueue* completions, Counters* counters,
                     const History* history, const ReplayLimits* limits);

  // Loads the script; call after every (re)connect of the command connection.
  void OnConnected() { script_.Load(); }

  // Runs the fetch script for `asked`. `done` runs exactly once, never inside
  // this call; a failed read gives a result that is not ok.
  void Fetch(const Asked& asked, FetchCallback done);

  // Answers a resume of `topics` after `after_text` (history is on).
  // `local_after`: the id after which the local History is complete for all
  // of `topics`, if it is (the live relay knows). `done` runs exactly once,
  // never inside this call.
  void Replay(const std::vector<std::string>& topics, const std::string& after_text,
              std::optional<uint64_t> local_after, ReplayCallback done);

  // Reads in flight on behalf of resumes (for tests).
  size_t pending_reads() const { return reads_.size(); }

 private:
  struct Waiter {
    uint64_t after;
    bool known;
    ReplayCallback done;
  };
  struct SharedRead {
    uint64_t after;
    std::vector<std::string> topics;  // Sorted.
    std::vector<Waiter> waiters;
  };

  bool ServeFromMemory(const std::vector<std::string>& topics, uint64_t after, ReplayResult* result);
  // Reads `sorted` topics from Redis for `waiter`, sharing a read under way
  // from the same or an earlier point.
  void Read(std::vector<std::string> sorted, Waiter waiter);
  void AnswerWaiters(SharedRead read, const FetchResult& fetched);

  Counters* counters_;
  const History* history_;
  const ReplayLimits* limits_;
  CompletionQueue* completions_;
  RedisScriptRunner script_;
  std::map<std::string, SharedRead> reads_;  // In-flight resume reads by topic set.
};

}  // namespace ssebridge
