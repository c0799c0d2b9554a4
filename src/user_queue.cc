#include "ssebridge/user_queue.h"

#include "ssebridge/message_frame.h"
#include "ssebridge/sse.h"

namespace ssebridge {

size_t UserQueueCharge(const FrameRef& frame) { return frame ? frame->chunked().size() : 0; }

void UserQueue::DropFront(Box& box) {
  bytes_ -= UserQueueCharge(box.items.front().frame);
  --messages_;
  box.items.pop_front();
}

size_t UserQueue::Add(const std::string& channel, FrameRef frame, uint64_t now_ms) {
  if (!enabled()) return 1;
  Box& box = boxes_[channel];
  const size_t charge = UserQueueCharge(frame);
  if (bytes_ + charge > limits_.max_bytes) {
    // The global bound protects the process; the user hears of the loss.
    ++box.dropped;
    box.keep_until_ms = now_ms + limits_.ttl_ms;
    return 1;
  }
  size_t dropped = 0;
  while (box.items.size() >= limits_.per_user) {
    DropFront(box);
    ++dropped;
  }
  box.dropped += dropped;
  box.keep_until_ms = now_ms + limits_.ttl_ms;
  box.items.push_back(Item{std::move(frame), now_ms + limits_.ttl_ms});
  ++messages_;
  bytes_ += charge;
  return dropped;
}

UserQueue::Drained UserQueue::Take(const std::string& channel, uint64_t now_ms, size_t* expired) {
  Drained drained;
  auto it = boxes_.find(channel);
  if (it == boxes_.end()) return drained;
  Box& box = it->second;
  drained.dropped = box.dropped;
  for (Item& item : box.items) {
    bytes_ -= UserQueueCharge(item.frame);
    --messages_;
    if (item.expires_ms <= now_ms) {
      if (expired != nullptr) ++*expired;
      continue;
    }
    drained.frames.push_back(std::move(item.frame));
  }
  boxes_.erase(it);
  return drained;
}

size_t UserQueue::PutBack(const std::string& channel, Drained drained, uint64_t now_ms) {
  if (drained.frames.empty() && drained.dropped == 0) return 0;
  // What arrived meanwhile is newer: re-add the old ones first, then it.
  Drained newer = Take(channel, now_ms);
  size_t dropped = 0;
  Box& box = boxes_[channel];
  box.dropped += drained.dropped + newer.dropped;
  box.keep_until_ms = now_ms + limits_.ttl_ms;
  for (FrameRef& frame : drained.frames) dropped += Add(channel, std::move(frame), now_ms);
  for (FrameRef& frame : newer.frames) dropped += Add(channel, std::move(frame), now_ms);
  return dropped;
}

size_t UserQueue::Expire(uint64_t now_ms) {
  size_t expired = 0;
  for (auto it = boxes_.begin(); it != boxes_.end();) {
    Box& box = it->second;
    // Items are in arrival order, so expiry order too.
    while (!box.items.empty() && box.items.front().expires_ms <= now_ms) {
      DropFront(box);
      ++expired;
    }
    if (box.items.empty() && box.keep_until_ms <= now_ms) {
      it = boxes_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

FrameRef EncodeUserQueueGapFrame(uint64_t dropped) {
  return EncodeGapEventFrame("{\"lastEventId\":null,\"oldestId\":null,\"reason\":\"user-queue-full\",\"dropped\":" +
                             std::to_string(dropped) + "}");
}

}  // namespace ssebridge
