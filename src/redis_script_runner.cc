#include "ssebridge/redis_script_runner.h"

#include <iterator>

#include <hiredis/hiredis.h>

#include "ssebridge/redis_history_reply.h"

namespace ssebridge {

RedisScriptRunner::RedisScriptRunner(RedisCommandSender* sender, CompletionQueue* completions, const char* source)
    : sender_(sender), completions_(completions), source_(source) {}

void RedisScriptRunner::Load() {
  sender_->Command({"SCRIPT", "LOAD", source_}, [this](const redisReply* reply) {
    if (reply && reply->type == REDIS_REPLY_STRING) sha_.assign(reply->str, reply->len);
  });
}

void RedisScriptRunner::Run(std::vector<std::string> args, ReplyCallback done) {
  // The command stays alive (shared, not copied) only for the NOSCRIPT retry.
  auto call = std::make_shared<Call>();
  call->command.reserve(2 + args.size());
  call->command.resize(2);
  call->command.insert(call->command.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  call->done = std::move(done);
  Send(std::move(call), true);
}

void RedisScriptRunner::Send(std::shared_ptr<Call> call, bool by_sha) {
  by_sha = by_sha && !sha_.empty();
  call->command[0] = by_sha ? "EVALSHA" : "EVAL";
  call->command[1] = by_sha ? sha_ : source_;
  const bool sent = sender_->Command(call->command, [this, call, by_sha](const redisReply* reply) {
    if (by_sha && reply != nullptr && reply->type == REDIS_REPLY_ERROR &&
        ReplyText(reply).substr(0, 8) == "NOSCRIPT") {
      // Redis restarted and forgot the script: send its source once.
      Send(call, false);
      return;
    }
    call->done(reply);
  });
  if (!sent) completions_->Post([call] { call->done(nullptr); });
}

}  // namespace ssebridge
