// One /clients operation as a value: what the handlers apply to a stream on
// this process, and (Redis mode) what travels on the control channel to the
// process that holds the stream. The JSON form is
//
//   {"op":"add","client":"<id>","channels":["a","b.*"]}
//   {"op":"remove","client":"<id>","channels":["a"]}
//   {"op":"end","client":"<id>"}
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ssebridge {

class ClientRegistry;
class CompletionQueue;

// The Redis channel every process subscribes to for client commands. Never
// delivered to streams.
inline constexpr std::string_view kClientControlChannel = "ssebridge:control";

struct ClientCommand {
  enum class Op { kAdd, kRemove, kEnd };
  Op op = Op::kEnd;
  std::string client;
  std::vector<std::string> channels;  // kAdd: one or more; kRemove: exactly one.
};

std::string EncodeClientCommand(const ClientCommand& command);

// "" and *out filled, or the reason the payload is no valid command (ids,
// channel names and counts are checked as for the HTTP endpoints).
std::string ParseClientCommand(std::string_view payload, size_t max_channels, ClientCommand* out);

enum class ClientCommandResult { kDone, kUnknownClient, kNotSubscribed, kTooManyChannels };

// Applies `command` to the stream registered under its client id, if this
// process holds it. An added set may bring the stream to `max_channels`
// names plus its private channel. *topics (if not null) gets the stream's
// topic count after a kAdd or kRemove. Must not run inside a fan-out.
ClientCommandResult ApplyClientCommand(ClientRegistry* clients, const ClientCommand& command, size_t max_channels,
                                       size_t* topics = nullptr);

// The broker's handler for commands from the control channel: parses each
// payload (a bad one is logged and dropped) and applies it from the
// completion queue, outside the subscriber's callback. A command for a
// client this process does not hold is ignored: another process holds it.
std::function<void(std::string_view payload)> MakeClientCommandReceiver(ClientRegistry* clients,
                                                                        CompletionQueue* completions,
                                                                        size_t max_channels);

}  // namespace ssebridge
