#include "ssebridge/redis_subscriber.h"

#include <cstring>

#include <hiredis/async.h>

#include "ssebridge/log.h"

namespace ssebridge {

RedisSubscriber::RedisSubscriber(uv_loop_t* loop, RedisClient::Options options, MessageHandler handler)
    : client_(loop, std::move(options)), handler_(std::move(handler)) {
  client_.on_ready = [this] {
    SubscribeAllWanted();
    if (on_ready) on_ready();
  };
  client_.on_lost = [this] {
    // Redis forgot every subscription with the connection.
    for (Table* table : {&channels_, &patterns_}) {
      for (auto it = table->begin(); it != table->end();) {
        it->second.remote = Remote::kOff;
        it = it->second.wanted ? std::next(it) : table->erase(it);
      }
    }
    if (on_lost) on_lost();
  };
}

bool RedisSubscriber::AllConfirmed() const {
  for (const Table* table : {&channels_, &patterns_}) {
    for (const auto& entry : *table) {
      if (entry.second.wanted != (entry.second.remote == Remote::kOn)) return false;
    }
  }
  return true;
}

size_t RedisSubscriber::confirmed_count() const {
  size_t count = 0;
  for (const Table* table : {&channels_, &patterns_}) {
    for (const auto& entry : *table) count += entry.second.remote == Remote::kOn;
  }
  return count;
}

void RedisSubscriber::Want(const std::string& name, bool is_pattern) {
  (is_pattern ? patterns_ : channels_)[name].wanted = true;
  Reconcile(name, is_pattern);
}

void RedisSubscriber::Unwant(const std::string& name, bool is_pattern) {
  Table& table = is_pattern ? patterns_ : channels_;
  auto it = table.find(name);
  if (it == table.end()) return;
  it->second.wanted = false;
  Reconcile(name, is_pattern);
}

void RedisSubscriber::Reconcile(const std::string& name, bool is_pattern) {
  Table& table = is_pattern ? patterns_ : channels_;
  auto it = table.find(name);
  if (it == table.end()) return;
  Entry& entry = it->second;
  redisAsyncContext* context = client_.context();
  if (entry.wanted && entry.remote == Remote::kOff) {
    if (context == nullptr) return;  // SubscribeAllWanted() runs on reconnect.
    const char* argv[2] = {is_pattern ? "PSUBSCRIBE" : "SUBSCRIBE", name.data()};
    size_t argvlen[2] = {strlen(argv[0]), name.size()};
    if (redisAsyncCommandArgv(context, OnSubscriptionReply, this, 2, argv, argvlen) == REDIS_OK) {
      entry.remote = Remote::kSubscribing;
    }
  } else if (!entry.wanted && entry.remote == Remote::kOn) {
    if (context == nullptr) return;
    const char* argv[2] = {is_pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", name.data()};
    size_t argvlen[2] = {strlen(argv[0]), name.size()};
    if (redisAsyncCommandArgv(context, OnSubscriptionReply, this, 2, argv, argvlen) == REDIS_OK) {
      entry.remote = Remote::kUnsubscribing;
    }
  } else if (!entry.wanted && entry.remote == Remote::kOff) {
    table.erase(it);
  }
}

void RedisSubscriber::SubscribeAllWanted() {
  redisAsyncContext* context = client_.context();
  if (context == nullptr) return;
  // One command per kind carrying many names keeps a reconnect with thousands
  // of channels to a handful of round trips.
  constexpr size_t kBatch = 1000;
  for (bool is_pattern : {false, true}) {
    Table& table = is_pattern ? patterns_ : channels_;
    std::vector<Entry*> batch_entries;
    std::vector<const char*> argv;
    std::vector<size_t> argvlen;
    auto flush = [&] {
      if (batch_entries.empty()) return;
      if (redisAsyncCommandArgv(context, OnSubscriptionReply, this, static_cast<int>(argv.size()), argv.data(),
                                argvlen.data()) == REDIS_OK) {
        for (Entry* entry : batch_entries) entry->remote = Remote::kSubscribing;
      }
      batch_entries.clear();
    };
    for (auto& [name, entry] : table) {
      if (!entry.wanted || entry.remote != Remote::kOff) continue;
      if (batch_entries.empty()) {
        argv.assign(1, is_pattern ? "PSUBSCRIBE" : "SUBSCRIBE");
        argvlen.assign(1, strlen(argv[0]));
      }
      argv.push_back(name.data());
      argvlen.push_back(name.size());
      batch_entries.push_back(&entry);
      if (batch_entries.size() == kBatch) flush();
    }
    flush();
  }
}

void RedisSubscriber::OnSubscriptionReply(redisAsyncContext* /*context*/, void* reply, void* privdata) {
  // hiredis calls this for every message and confirmation of every name we
  // subscribed, and once more with nullptr when the context is freed.
  if (reply == nullptr) return;
  static_cast<RedisSubscriber*>(privdata)->HandleReply(static_cast<const redisReply*>(reply));
}

void RedisSubscriber::HandleReply(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
  const redisReply* kind = reply->element[0];
  if (kind->type != REDIS_REPLY_STRING) return;
  std::string_view type(kind->str, kind->len);
  auto text = [reply](size_t i) {
    const redisReply* element = reply->element[i];
    return element->type == REDIS_REPLY_STRING ? std::string_view(element->str, element->len) : std::string_view();
  };
  if (type == "message") {
    handler_(text(1), false, text(1), text(2));
  } else if (type == "pmessage" && reply->elements >= 4) {
    handler_(text(1), true, text(2), text(3));
  } else if (type == "subscribe" || type == "psubscribe" || type == "unsubscribe" || type == "punsubscribe") {
    bool is_pattern = type[0] == 'p';
    bool subscribed = type.find("unsub") == std::string_view::npos;
    std::string name(text(1));
    Table& table = is_pattern ? patterns_ : channels_;
    auto it = table.find(name);
    if (it == table.end()) return;
    it->second.remote = subscribed ? Remote::kOn : Remote::kOff;
    LOG_DEBUG("redis-subscriber: %s %s", subscribed ? "subscribed" : "unsubscribed", name.c_str());
    bool wanted = it->second.wanted;
    Reconcile(name, is_pattern);
    if (subscribed && wanted && on_confirmed) on_confirmed(name, is_pattern);
  }
}

}  // namespace ssebridge
