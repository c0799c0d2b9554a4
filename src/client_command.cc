#include "ssebridge/client_command.h"

#include <nlohmann/json.hpp>

#include "ssebridge/channel.h"
#include "ssebridge/client_id.h"
#include "ssebridge/client_registry.h"
#include "ssebridge/completion_queue.h"
#include "ssebridge/event_stream.h"
#include "ssebridge/json_quote.h"
#include "ssebridge/log.h"
#include "ssebridge/untrusted_json.h"

namespace ssebridge {

std::string EncodeClientCommand(const ClientCommand& command) {
  static constexpr const char* kOps[] = {"add", "remove", "end"};
  std::string out = "{\"op\":\"";
  out += kOps[static_cast<int>(command.op)];
  out += "\",\"client\":";
  AppendJsonQuoted(&out, command.client);
  if (command.op != ClientCommand::Op::kEnd) {
    out += ",\"channels\":[";
    for (size_t i = 0; i < command.channels.size(); ++i) {
      if (i != 0) out.push_back(',');
      AppendJsonQuoted(&out, command.channels[i]);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

std::string ParseClientCommand(std::string_view payload, size_t max_channels, ClientCommand* out) {
  nlohmann::ordered_json json;
  if (ParseUntrustedJson(payload, &json) != JsonParseStatus::kOk || !json.is_object()) return "not a JSON object";
  auto op = json.find("op");
  auto client = json.find("client");
  if (op == json.end() || !op->is_string()) return "no \"op\"";
  if (client == json.end() || !client->is_string()) return "no \"client\"";
  const std::string op_name = op->get<std::string>();
  if (op_name == "add") {
    out->op = ClientCommand::Op::kAdd;
  } else if (op_name == "remove") {
    out->op = ClientCommand::Op::kRemove;
  } else if (op_name == "end") {
    out->op = ClientCommand::Op::kEnd;
  } else {
    return "unknown op '" + op_name + "'";
  }
  out->client = client->get<std::string>();
  if (std::string error = CheckClientId(out->client); !error.empty()) return error;
  if (out->op == ClientCommand::Op::kEnd) return "";
  auto channels = json.find("channels");
  if (channels == json.end() || !channels->is_array() || channels->empty()) return "no \"channels\"";
  if (channels->size() > max_channels || (out->op == ClientCommand::Op::kRemove && channels->size() != 1)) {
    return "wrong number of channels";
  }
  for (const auto& name : *channels) {
    if (!name.is_string()) return "\"channels\" must be an array of strings";
    std::string text = name.get<std::string>();
    if (std::string error = ValidateChannelName(text); !error.empty()) return error;
    out->channels.push_back(std::move(text));
  }
  return "";
}

ClientCommandResult ApplyClientCommand(ClientRegistry* clients, const ClientCommand& command, size_t max_channels,
                                       size_t* topics) {
  EventStream* stream = clients != nullptr ? clients->Find(command.client) : nullptr;
  if (stream == nullptr) return ClientCommandResult::kUnknownClient;
  switch (command.op) {
    case ClientCommand::Op::kAdd: {
      // The private channel rides on top of the limit, as when the stream opened.
      size_t new_names = 0;
      for (const std::string& name : command.channels) new_names += stream->HoldsTopic(name) ? 0 : 1;
      if (stream->topic_count() + new_names > max_channels + 1) return ClientCommandResult::kTooManyChannels;
      stream->AddTopics(command.channels);
      break;
    }
    case ClientCommand::Op::kRemove:
      if (!stream->RemoveTopic(command.channels.front())) return ClientCommandResult::kNotSubscribed;
      break;
    case ClientCommand::Op::kEnd:
      stream->EndByRequest("ended by DELETE /clients/<id>");
      return ClientCommandResult::kDone;
  }
  if (topics != nullptr) *topics = stream->topic_count();
  return ClientCommandResult::kDone;
}

std::function<void(std::string_view payload)> MakeClientCommandReceiver(ClientRegistry* clients,
                                                                        CompletionQueue* completions,
                                                                        size_t max_channels) {
  return [clients, completions, max_channels](std::string_view payload) {
    ClientCommand command;
    if (std::string error = ParseClientCommand(payload, max_channels, &command); !error.empty()) {
      LOG_WARN("dropped a message on %s: %s", std::string(kClientControlChannel).c_str(), error.c_str());
      return;
    }
    completions->Post([clients, max_channels, command = std::move(command)] {
      switch (ApplyClientCommand(clients, command, max_channels)) {
        case ClientCommandResult::kDone:
          LOG_INFO("client %s: %s (through Redis)", command.client.c_str(), EncodeClientCommand(command).c_str());
          break;
        case ClientCommandResult::kUnknownClient:
          break;  // Another process holds it, or nobody does.
        case ClientCommandResult::kNotSubscribed:
        case ClientCommandResult::kTooManyChannels:
          LOG_WARN("client %s: refused %s (the stream lacks the channel, or would pass "
                   "--max-channels-per-subscribe)",
                   command.client.c_str(), EncodeClientCommand(command).c_str());
          break;
      }
    });
  };
}

}  // namespace ssebridge
