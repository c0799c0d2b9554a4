#include "ssebridge/client_registry.h"

namespace ssebridge {

EventStream* ClientRegistry::Register(const std::string& id, EventStream* stream) {
  // A stream has one id: re-registering moves it.
  Remove(stream);
  EventStream* previous = nullptr;
  auto [it, inserted] = by_id_.try_emplace(id, stream);
  if (!inserted) {
    previous = it->second;
    by_stream_.erase(previous);
    it->second = stream;
  }
  by_stream_[stream] = id;
  return previous;
}

void ClientRegistry::Remove(const EventStream* stream) {
  auto it = by_stream_.find(stream);
  if (it == by_stream_.end()) return;
  by_id_.erase(it->second);
  by_stream_.erase(it);
}

EventStream* ClientRegistry::Find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : it->second;
}

}  // namespace ssebridge
