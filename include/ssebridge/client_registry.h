// ClientRegistry: client id -> the event stream registered under it, on this
// process. Server owns it (BridgeContext::clients). A stream is entered by
// the stream handler and leaves in its Stop() (the connection's close path),
// so the registry never holds a pointer to a closed stream. It never
// dereferences the pointers it keeps.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace ssebridge {

class EventStream;

class ClientRegistry {
 public:
  // Registers `stream` under `id`. A stream already registered under `id`
  // is unlinked and returned (the caller ends it); else null.
  EventStream* Register(const std::string& id, EventStream* stream);

  // Removes `stream` wherever it is registered; nothing when it is not.
  void Remove(const EventStream* stream);

  // The stream registered under `id`, or null.
  EventStream* Find(std::string_view id) const;

  size_t size() const { return by_id_.size(); }

 private:
  std::unordered_map<std::string, EventStream*> by_id_;
  std::unordered_map<const EventStream*, std::string> by_stream_;
};

}  // namespace ssebridge
