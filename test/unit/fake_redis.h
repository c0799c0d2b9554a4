// FakeRedis: a RedisCommandSender for unit tests of the Redis broker's parts.
// It records every command and lets the test answer them, oldest first, with
// RESP text that hiredis's own reader turns into the reply tree — exactly as
// replies arrive from Redis.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "ssebridge/redis_command_sender.h"

namespace ssebridge::fake_redis {

inline std::string Bulk(const std::string& text) { return "$" + std::to_string(text.size()) + "\r\n" + text + "\r\n"; }
inline std::string Array(const std::vector<std::string>& items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const std::string& item : items) out += item;
  return out;
}
inline std::string Integer(long long value) { return ":" + std::to_string(value) + "\r\n"; }
inline std::string Error(const std::string& text) { return "-" + text + "\r\n"; }
inline const std::string kNil = "$-1\r\n";

// Our resumable envelope, as the publish script stores and announces it.
inline std::string Envelope(uint64_t id, const std::string& data) {
  return R"({"event":"message","data":")" + data + R"(","id":")" + std::to_string(id) + R"(","resumable":true})";
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

inline ReplyPtr ParseResp(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* reply = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader, &reply), REDIS_OK);
  redisReaderFree(reader);
  EXPECT_NE(reply, nullptr) << "incomplete RESP in the test";
  return ReplyPtr(static_cast<redisReply*>(reply));
}

class FakeRedis : public RedisCommandSender {
 public:
  struct Sent {
    std::vector<std::string> args;
    ReplyCallback callback;
  };

  bool Command(const std::vector<std::string>& args, ReplyCallback callback) override {
    if (!connected) return false;
    sent.push_back(Sent{args, std::move(callback)});
    return true;
  }
  bool ready() const override { return connected; }

  // Answers the oldest unanswered command with `resp`; returns its arguments.
  std::vector<std::string> Answer(const std::string& resp) {
    Sent command = Pop();
    ReplyPtr reply = ParseResp(resp);
    command.callback(reply.get());
    return command.args;
  }
  // The connection was lost before the oldest command was answered.
  std::vector<std::string> AnswerLost() {
    Sent command = Pop();
    command.callback(nullptr);
    return command.args;
  }

  bool connected = true;
  std::deque<Sent> sent;

 private:
  Sent Pop() {
    EXPECT_FALSE(sent.empty()) << "no command to answer";
    Sent command = std::move(sent.front());
    sent.pop_front();
    return command;
  }
};

}  // namespace ssebridge::fake_redis
