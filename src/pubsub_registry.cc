#include "ssebridge/pubsub_registry.h"

#include <cassert>

#include <uv.h>

#include "ssebridge/channel.h"
#include "ssebridge/user_channel.h"

namespace ssebridge {

namespace {
uint64_t g_next_serial = 0;
}  // namespace

PubsubRegistry::LazyFrame::LazyFrame(std::function<FrameRef()> make)
    : make_(std::move(make)), serial_(++g_next_serial) {}

void PubsubRegistry::LazyFrame::Build() {
  frame_ = make_();
  if (!frame_) return;
  // One clock read per message, not per delivery: the start of its
  // publish-to-write latency (Connection::Flush observes the end).
  frame_.StampFanOut(static_cast<uint32_t>(uv_hrtime() / 1000));
}

PubsubRegistry::Topic* PubsubRegistry::AcquireTopic(const std::string& name) {
  bool is_pattern = IsPattern(name);
  auto& map = is_pattern ? patterns_ : exact_;
  auto [it, inserted] = map.try_emplace(name);
  if (inserted) {
    it->second = std::make_unique<Topic>(Topic{name, is_pattern, {}, {}});
    if (listener_) listener_->OnTopicActive(name, is_pattern);
  }
  return it->second.get();
}

void PubsubRegistry::ReleaseTopic(Topic* topic) {
  if (!topic->subscribers.empty()) return;
  // Copy the name: erasing destroys the topic that owns it.
  std::string name = topic->name;
  bool is_pattern = topic->is_pattern;
  (is_pattern ? patterns_ : exact_).erase(name);
  if (listener_) listener_->OnTopicIdle(name, is_pattern);
}

bool PubsubRegistry::Attach(Subscriber* subscriber, const std::string& name) {
  for (const Link& existing : subscriber->links) {
    if (existing.topic->name == name) return false;
  }
  Topic* topic = AcquireTopic(name);
  subscriber->links.push_back(Link{topic, static_cast<uint32_t>(topic->subscribers.size())});
  topic->subscribers.push_back(subscriber);
  ++subscription_count_;
  return true;
}

// Takes `subscriber` off `topic`'s list (it sits at `position`) and
// releases the topic if that was its last subscriber. The subscriber's own
// vectors are left to the caller.
void PubsubRegistry::DetachFromTopic(Subscriber* subscriber, Topic* topic, uint32_t position) {
  assert(topic->subscribers[position] == subscriber);
  // Swap-remove, then fix the moved subscriber's back-pointer.
  Subscriber* moved = topic->subscribers.back();
  topic->subscribers[position] = moved;
  topic->subscribers.pop_back();
  if (moved != subscriber) {
    for (Link& link : moved->links) {
      if (link.topic == topic) link.position = position;
    }
  }
  --subscription_count_;
  ReleaseTopic(topic);
}

PubsubRegistry::Subscriber* PubsubRegistry::Subscribe(StreamSink* sink, const std::vector<std::string>& names) {
  auto* subscriber = new Subscriber{sink, {}, 0};
  for (const std::string& name : names) Attach(subscriber, name);
  ++subscriber_count_;
  return subscriber;
}

size_t PubsubRegistry::AddTopics(Subscriber* subscriber, const std::vector<std::string>& names) {
  size_t added = 0;
  for (const std::string& name : names) added += Attach(subscriber, name) ? 1 : 0;
  return added;
}

bool PubsubRegistry::RemoveTopic(Subscriber* subscriber, std::string_view name) {
  for (size_t i = 0; i < subscriber->links.size(); ++i) {
    if (subscriber->links[i].topic->name != name) continue;
    const Link link = subscriber->links[i];
    subscriber->links.erase(subscriber->links.begin() + static_cast<ptrdiff_t>(i));
    DetachFromTopic(subscriber, link.topic, link.position);
    return true;
  }
  return false;
}

void PubsubRegistry::Unsubscribe(Subscriber* subscriber) {
  for (const Link& link : subscriber->links) DetachFromTopic(subscriber, link.topic, link.position);
  --subscriber_count_;
  delete subscriber;
}

size_t PubsubRegistry::Publish(std::string_view channel, LazyFrame& frame) {
  size_t deliveries = 0;
  const uint64_t serial = frame.serial();
  const uint64_t now_ms = NowMs();
  auto deliver_topic = [&](Topic& topic) {
    topic.messages.Count(now_ms);
    for (Subscriber* subscriber : topic.subscribers) {
      if (subscriber->last_serial == serial) continue;
      subscriber->last_serial = serial;
      subscriber->sink->SendFrame(frame.get());
      ++deliveries;
    }
  };
  if (!exact_.empty()) {
    auto it = exact_.find(std::string(channel));
    if (it != exact_.end()) deliver_topic(*it->second);
  }
  for (const auto& [pattern, topic] : patterns_) {
    if (PatternCovers(pattern, channel)) deliver_topic(*topic);
  }
  return deliveries;
}

const PubsubRegistry::Topic* PubsubRegistry::DesignatedTopic(const Subscriber& subscriber,
                                                             std::string_view channel) const {
  const Topic* best = nullptr;
  for (const Link& link : subscriber.links) {
    const Topic* topic = link.topic;
    if (!topic->is_pattern) {
      if (topic->name == channel) return topic;
      continue;
    }
    if ((best == nullptr || topic->name < best->name) && PatternCovers(topic->name, channel)) best = topic;
  }
  return best;
}

size_t PubsubRegistry::DeliverNotification(std::string_view source, bool source_is_pattern,
                                           std::string_view channel, LazyFrame& frame) {
  const auto& map = source_is_pattern ? patterns_ : exact_;
  auto it = map.find(std::string(source));
  if (it == map.end()) return 0;  // Unsubscribed locally while the message was in flight.
  // Redis matched the pattern by glob alone; user channels stay private to
  // patterns that name them (user_channel.h).
  if (source_is_pattern && !PatternMayReach(source, channel)) return 0;
  Topic* topic = it->second.get();
  topic->messages.Count(NowMs());
  const uint64_t serial = frame.serial();
  size_t deliveries = 0;
  for (Subscriber* subscriber : topic->subscribers) {
    // Fast path: a stream with one topic always takes the message from it.
    if (subscriber->links.size() > 1 && DesignatedTopic(*subscriber, channel) != topic) continue;
    if (subscriber->last_serial == serial) continue;
    subscriber->last_serial = serial;
    subscriber->sink->SendFrame(frame.get());
    ++deliveries;
  }
  return deliveries;
}

size_t PubsubRegistry::CutOffTopic(const std::string& name, bool is_pattern, const char* why) {
  const auto& topics = is_pattern ? patterns_ : exact_;
  auto it = topics.find(name);
  if (it == topics.end()) return 0;
  // CutOff never unsubscribes synchronously, so the list stays put.
  for (Subscriber* subscriber : it->second->subscribers) subscriber->sink->CutOff(why);
  return it->second->subscribers.size();
}

void PubsubRegistry::ForEachTopic(const std::function<void(const std::string&, bool)>& fn) const {
  for (const auto& entry : exact_) fn(entry.first, false);
  for (const auto& entry : patterns_) fn(entry.first, true);
}

uint64_t PubsubRegistry::NowMs() { return uv_hrtime() / 1000000; }

void PubsubRegistry::ForEachTopicDetail(const std::function<void(const Topic&)>& fn) const {
  for (const auto& entry : exact_) fn(*entry.second);
  for (const auto& entry : patterns_) fn(*entry.second);
}

void PubsubRegistry::ForEachTopicCount(const std::function<void(const std::string&, bool, size_t)>& fn) const {
  for (const auto& entry : exact_) fn(entry.first, false, entry.second->subscribers.size());
  for (const auto& entry : patterns_) fn(entry.first, true, entry.second->subscribers.size());
}

}  // namespace ssebridge
