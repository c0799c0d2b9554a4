// RedisLiveRelay: what Redis pub/sub pushes, decoded once and fanned out to
// local streams, recorded in the local History, and made whole again after a
// subscriber outage.
//
// Two facts per locally wanted topic, both learnt from Redis's id clock (or
// from messages) and never from whether a key happened to exist:
//  - covered: the local history holds every message after covered_after, so
//    a resume from there is served from memory (see RedisHistoryReader);
//  - positioned: this process has every message up to last_seen, so after a
//    subscriber outage a refill from last_seen closes the hole. A position of
//    0 is real (no id had been issued yet), not "unknown".
// A topic becomes both once Redis confirmed its subscription and the clock
// read after that confirmation came back.
//
// Subscriber outages. When the subscriber connection comes back and every
// topic is re-confirmed, the relay reads from the streams everything each
// topic missed after the last id it saw, delivers it in id order, and only
// then releases live messages that arrived meanwhile. Streams drop ids they
// already have, so every connected client gets every message once, in order.
// Both the read and the hold are bounded: the read like a replay (the newest
// messages), the hold by max_held_bytes. A stream that would miss messages
// because of either is cut off instead (StreamSink::CutOff, counted by the
// stream as a slow-consumer disconnect), so it resumes from Redis; the relay
// counts the overflow and the streams it cut off.
//
// Resumes of topics not yet subscribed. A stream's topic becomes wanted when
// the stream starts, but its messages reach this process only once Redis has
// processed the SUBSCRIBE, a round trip later (two when an UNSUBSCRIBE of the
// same name, from a stream that just ended, is still in flight). A history
// read for the stream's resume that Redis runs before that point misses what
// is published between the read and the subscription: neither the read nor
// the live path has it. So a resume waits (WhenSubscribed) until Redis has
// confirmed every one of its topics; the read it then makes is certain to
// reach up to where live delivery starts. While the subscriber connection is
// down no confirmation is coming: the read is made at once, and the refill
// after the reconnect reaches back to the resume's id.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ssebridge/history.h"
#include "ssebridge/log.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/redis_history_reader.h"

namespace ssebridge {

struct Message;

class RedisLiveRelay {
 public:
  struct Options {
    bool recognise_envelopes = true;
    // The largest frame a stream may queue (--client-buffer-bytes): a bigger
    // message would cut every subscriber off, so it is dropped instead.
    size_t max_frame_bytes = SIZE_MAX;
    // Live messages held while a refill runs, in bytes (payloads, names and
    // bookkeeping); past it they are dropped and their streams cut off.
    size_t max_held_bytes = 8u << 20;
  };

  // `commands` reads the id clock; `reader` refills after an outage;
  // `history` is the local copy this relay records into.
  RedisLiveRelay(Options options, RedisCommandSender* commands, RedisHistoryReader* reader,
                 PubsubRegistry* registry, History* history, Counters* counters, uint64_t (*now_ms)());

  // True when the subscriber connection is up and Redis confirmed every
  // wanted topic on it: a catch-up waits for it. Set by the owner.
  std::function<bool()> subscriptions_settled;
  // True when the subscriber connection is up, so every wanted topic's
  // SUBSCRIBE is sent or queued behind its UNSUBSCRIBE and its confirmation
  // will come (or the connection's loss). Set by the owner; unset means down.
  std::function<bool()> subscriber_ready;

  // A topic became wanted / unwanted locally (a new subscription each time).
  void OnTopicActive(const std::string& name);
  void OnTopicIdle(const std::string& name);

  // A push from the subscriber connection: `source` is the subscribed
  // channel or pattern, `channel` where it was published.
  void OnMessage(std::string_view source, bool is_pattern, std::string_view channel, std::string_view payload);
  // Redis confirmed the subscription of `name` on the current connection.
  void OnConfirmed(const std::string& name);
  // The subscriber connection was lost: nothing is confirmed or covered any
  // more, and with history on a catch-up is due.
  void OnSubscriberLost();
  // A connection (subscriber or commands) is ready: starts a due catch-up
  // once everything it needs is.
  void OnUpstreamReady() { MaybeStartCatchUp(); }

  // The id after which the local History holds every message of all
  // `topics`, if it does (nothing while a catch-up is due).
  std::optional<uint64_t> LocalAfter(const std::vector<std::string>& topics) const;

  // Runs `read` (the history read of a resume of `topics` after `after`, if
  // the id is known) once Redis has confirmed the current subscription of
  // every one of `topics` this relay tracks: at once when it has, else from
  // the confirmation of the last one. A topic that goes idle meanwhile no
  // longer counts. When the subscriber connection is down, or is lost while
  // `read` waits, `read` runs then, and the catch-up after the reconnect is
  // made to refill these topics from `after`. Runs `read` exactly once,
  // possibly inside this call (it must not answer its resume there).
  void WhenSubscribed(const std::vector<std::string>& topics, std::optional<uint64_t> after,
                      std::function<void()> read);
  // Runs every waiting read now (the broker shuts down; the reads fail).
  void RunWaitingReads();
  // Resumes waiting for a confirmation (for tests and metrics).
  size_t waiting_reads() const { return waiting_.size(); }

  // The newest id this process knows Redis issued since the subscriber
  // connection came up: the clock values it read and the ids it received.
  // A resume id above it may never have been issued, which only Redis's
  // clock can tell; memory cannot.
  uint64_t newest_known_id() const { return newest_known_id_; }

  bool catching_up() const { return catching_up_; }
  size_t held_bytes() const { return held_bytes_; }

 private:
  struct TopicState {
    uint64_t serial = 0;      // Tells this subscription from a later one of the same name.
    bool confirmed = false;   // Redis confirmed it on the current subscriber connection.
    bool covered = false;
    uint64_t covered_after = 0;
    bool positioned = false;
    uint64_t last_seen = 0;
    // Held messages for it were dropped during the current refill: the local
    // history has a hole, so the refill must not make it covered.
    bool lost_held = false;
  };
  struct Notification {
    std::string source;
    bool is_pattern;
    std::string channel;
    std::string payload;
  };
  // A resume's read waiting for its topics' subscriptions. By name: a topic
  // that went idle and came back waits for its new subscription.
  struct WaitingRead {
    std::vector<std::string> topics;
    std::optional<uint64_t> after;
    std::function<void()> read;
  };
  // What a catch-up asked for, with each topic's subscription serial.
  struct Refill {
    RedisHistoryReader::Asked asked;
    std::vector<uint64_t> serials;
  };

  void Deliver(std::string_view source, bool is_pattern, std::string_view channel, std::string_view payload);
  // Counts and logs (throttled) what the live path refuses; false when the
  // message must be dropped because no stream could queue its frame.
  bool RelayAllowed(std::string_view channel, const Message& message, bool too_deep);
  // Reads the id clock for a confirmed topic that is not covered yet, and
  // makes it covered and positioned from that value.
  void ReadClock(const std::string& name);
  void ReadClockForUnsettled();
  // The state of the topic `refill` asked for at index i, if it is still the
  // same subscription.
  TopicState* Asked(const Refill& refill, size_t i);

  void MaybeStartCatchUp();
  void FinishCatchUp(const FetchResult& result, const Refill& refill);
  // Cuts off the streams of topics the bounded read could not fill whole.
  void CutOffShortTopics(const FetchResult& result, const Refill& refill);
  void SettleRefilled(const FetchResult& result, const Refill& refill);
  void ReleaseHeld();
  // The hold passed max_held_bytes: cuts off the streams its messages were
  // for and drops them.
  void DropHeld();
  // Cuts off every stream of a topic that cannot be served without a hole.
  size_t CutOffTopic(const std::string& name, const char* why);

  // True when every topic of `wait` that is still wanted is confirmed.
  bool Subscribed(const WaitingRead& wait) const;
  // Runs the waiting reads whose topics are all confirmed now.
  void RunSubscribedReads();
  // A read is made while some of its topics are not subscribed and no
  // confirmation is coming: makes the catch-up after the reconnect refill
  // them from `after`.
  void RefillLater(const std::vector<std::string>& topics, std::optional<uint64_t> after);

  Options options_;
  RedisCommandSender* commands_;
  RedisHistoryReader* reader_;
  PubsubRegistry* registry_;
  History* history_;
  Counters* counters_;
  uint64_t (*now_ms_)();

  std::unordered_map<std::string, TopicState> topics_;  // Exact names and patterns never collide.
  uint64_t next_topic_serial_ = 0;
  uint64_t subscriber_session_ = 0;  // Incremented whenever the subscriber connection is lost.
  uint64_t newest_known_id_ = 0;

  bool catching_up_ = false;       // Subscriber reconnected; history not yet refilled.
  bool catch_up_running_ = false;
  std::vector<Notification> held_;  // Live messages received during catch-up.
  size_t held_bytes_ = 0;

  std::vector<WaitingRead> waiting_;  // Resumes waiting for their subscriptions, oldest first.

  // A message published to several channels arrives once per channel, back to
  // back, with the same payload and id. Reusing its frame (and serial) lets the
  // registry deliver it once to a stream subscribed to several of them.
  std::string last_payload_;
  std::optional<PubsubRegistry::LazyFrame> last_frame_;
  uint64_t last_sequence_ = 0;

  // Anyone who can PUBLISH can trigger these warnings: one line per 10 s each.
  LogLimiter too_deep_log_{10000};
  LogLimiter too_large_log_{10000};
};

}  // namespace ssebridge
