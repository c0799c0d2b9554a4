// RedisScriptRunner: runs one Lua script by its hash, as Redis recommends:
// SCRIPT LOAD once per connection, then EVALSHA. When Redis answers NOSCRIPT
// (it restarted, or SCRIPT FLUSH ran) the call is sent once more with the
// source, EVAL, so no caller ever sees that error.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ssebridge/completion_queue.h"
#include "ssebridge/redis_command_sender.h"

namespace ssebridge {

class RedisScriptRunner {
 public:
  using ReplyCallback = RedisCommandSender::ReplyCallback;

  // `source` must outlive the runner (the scripts are compiled in).
  RedisScriptRunner(RedisCommandSender* sender, CompletionQueue* completions, const char* source);

  // Asks Redis to cache the script and remembers its hash (until then, and
  // if it fails, Run() sends the source). Call after every (re)connect.
  void Load();

  // Runs the script with `args` (numkeys, the keys, then the arguments).
  // `done` runs exactly once and never inside this call: with the reply, or
  // with nullptr when the connection is lost — or down, in which case it is
  // posted to the completion queue, since the caller is still running.
  void Run(std::vector<std::string> args, ReplyCallback done);

  const std::string& sha() const { return sha_; }

 private:
  struct Call {
    std::vector<std::string> command;  // EVAL or EVALSHA, the source or hash, then the args.
    ReplyCallback done;
  };
  void Send(std::shared_ptr<Call> call, bool by_sha);

  RedisCommandSender* sender_;
  CompletionQueue* completions_;
  const char* source_;
  std::string sha_;
};

}  // namespace ssebridge
