// PubsubRegistry: the two-way index between channels/patterns and the streams
// subscribed to them, and the fan-out of one shared frame.
//
// A topic (exact channel or pattern) exists exactly while it has a subscriber;
// the Listener hears when one appears or disappears so a broker can SUBSCRIBE
// or UNSUBSCRIBE upstream.
//
// Exactly-once per stream: a stream subscribed to "a" and "a*" (or to two
// overlapping patterns, or to several channels one message was published to)
// receives each message once. Every message has a serial number (LazyFrame);
// a stream skips a frame whose serial it saw last, which covers embedded
// publishing and multi-channel publishes that arrive back to back. In
// Redis mode every matching subscription produces its own notification, so
// each stream accepts a message only from its *designated* topic for that
// channel: the exact subscription if it has one, else the smallest matching
// pattern by byte order. Both rules are deterministic and need no memory of
// earlier notifications.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ssebridge/frame.h"
#include "ssebridge/message_rate.h"

namespace ssebridge {

// Receives frames. Implemented by a streaming connection. SendFrame must not
// unsubscribe synchronously (it runs inside the fan-out loop); a sink that
// overflows marks itself for closing and unsubscribes later.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void SendFrame(const FrameRef& frame) = 0;
  // The stream can no longer be served without a hole (messages meant for it
  // were dropped): it must take no more frames and close, so the client
  // reconnects and resumes from its Last-Event-ID. Same rules as SendFrame:
  // it marks itself and closes later. `why` is for the log.
  virtual void CutOff(const char* why) = 0;
};

class PubsubRegistry {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnTopicActive(const std::string& name, bool is_pattern) = 0;
    virtual void OnTopicIdle(const std::string& name, bool is_pattern) = 0;
  };

  struct Topic;
  // One of a subscriber's topics and where the subscriber sits in that
  // topic's list (so leaving is a swap-remove, not a search).
  struct Link {
    Topic* topic;
    uint32_t position;
  };
  // One per stream, so its size is part of the per-stream memory figure: the
  // topic pointers and positions share one vector (one allocation instead of
  // two), which keeps the record at 40 bytes.
  struct Subscriber {
    StreamSink* sink;
    std::vector<Link> links;
    uint64_t last_serial = 0;  // Serial of the last frame sent to this stream.
  };
  struct Topic {
    std::string name;
    bool is_pattern;
    std::vector<Subscriber*> subscribers;
    // Messages this topic received while it had subscribers (GET /stats);
    // per topic, not per subscriber.
    MessageRate messages;
  };

  // A message's frame, built on first use so a message nobody receives is never
  // encoded, plus a process-unique serial used for de-duplication.
  class LazyFrame {
   public:
    explicit LazyFrame(std::function<FrameRef()> make);
    // Inline: it runs once per delivery; building is the rare path.
    const FrameRef& get() {
      if (!frame_) Build();
      return frame_;
    }
    uint64_t serial() const { return serial_; }

   private:
    void Build();

    std::function<FrameRef()> make_;
    FrameRef frame_;
    uint64_t serial_;
  };

  PubsubRegistry() = default;
  PubsubRegistry(const PubsubRegistry&) = delete;
  PubsubRegistry& operator=(const PubsubRegistry&) = delete;

  void set_listener(Listener* listener) { listener_ = listener; }

  // Names are validated channel names; a name with *, ? or [ is a pattern.
  // The returned handle stays valid until Unsubscribe().
  Subscriber* Subscribe(StreamSink* sink, const std::vector<std::string>& names);
  void Unsubscribe(Subscriber* subscriber);

  // Adds topics to a live subscriber (names already held are skipped) and
  // returns how many were new. RemoveTopic drops one by name; false when
  // the subscriber does not hold it. Neither may run inside a fan-out (a
  // SendFrame or CutOff); both may make a topic active or idle.
  size_t AddTopics(Subscriber* subscriber, const std::vector<std::string>& names);
  bool RemoveTopic(Subscriber* subscriber, std::string_view name);

  // Embedded broker: delivers to every stream with a topic matching `channel`,
  // once each. Returns the number of deliveries.
  size_t Publish(std::string_view channel, LazyFrame& frame);

  // Redis broker: one upstream notification, received because of the
  // subscription `source` (a channel for "message", a pattern for "pmessage").
  size_t DeliverNotification(std::string_view source, bool source_is_pattern, std::string_view channel,
                             LazyFrame& frame);

  // Calls fn(name, is_pattern) for every active topic (used to resubscribe).
  void ForEachTopic(const std::function<void(const std::string&, bool)>& fn) const;
  // Calls fn(name, is_pattern, subscribers) for every active topic (/stats).
  void ForEachTopicCount(const std::function<void(const std::string&, bool, size_t)>& fn) const;
  // Calls fn(topic) for every active topic (/stats).
  void ForEachTopicDetail(const std::function<void(const Topic&)>& fn) const;
  // The clock MessageRate counts with: milliseconds of the monotonic clock.
  static uint64_t NowMs();

  // Cuts off every stream subscribed to the topic (see StreamSink::CutOff).
  // Returns how many.
  size_t CutOffTopic(const std::string& name, bool is_pattern, const char* why);

  // True while some stream is subscribed to exactly `channel` (not by a pattern).
  bool HasExactTopic(const std::string& channel) const { return exact_.count(channel) != 0; }
  size_t exact_topic_count() const { return exact_.size(); }
  size_t pattern_topic_count() const { return patterns_.size(); }
  size_t subscriber_count() const { return subscriber_count_; }
  size_t subscription_count() const { return subscription_count_; }

 private:
  Topic* AcquireTopic(const std::string& name);
  bool Attach(Subscriber* subscriber, const std::string& name);
  void DetachFromTopic(Subscriber* subscriber, Topic* topic, uint32_t position);
  void ReleaseTopic(Topic* topic);
  const Topic* DesignatedTopic(const Subscriber& subscriber, std::string_view channel) const;

  std::unordered_map<std::string, std::unique_ptr<Topic>> exact_;
  std::unordered_map<std::string, std::unique_ptr<Topic>> patterns_;
  Listener* listener_ = nullptr;
  size_t subscriber_count_ = 0;
  size_t subscription_count_ = 0;
};

}  // namespace ssebridge
