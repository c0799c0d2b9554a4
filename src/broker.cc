#include "ssebridge/broker.h"

#include "ssebridge/sse.h"

namespace ssebridge {

FrameRef EncodeMessageFrame(const Message& message) {
  std::string buffer = Frame::StartBuffer();
  SseEvent event;
  event.id = message.id;
  event.event = message.event;
  event.data = message.data;
  event.retry_ms = message.retry_ms;
  AppendSseEvent(&buffer, event);
  return Frame::Seal(std::move(buffer));
}

}  // namespace ssebridge
