#include "ssebridge/history.h"

#include <algorithm>

#include "ssebridge/channel.h"

namespace ssebridge {

bool ParseEventId(std::string_view text, uint64_t* id) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  *id = value;
  return true;
}

size_t History::EntryBytes(const Entry& entry) {
  // The frame plus bookkeeping, so many tiny messages are not free.
  return entry.frame->chunked().size() + sizeof(Entry) + sizeof(OrderRef) + 16;
}

bool History::Append(const std::string& channel_name, uint64_t id, const FrameRef& frame, uint64_t now_ms) {
  if (!enabled() || id == 0) return false;
  auto [it, inserted] = channels_.try_emplace(channel_name);
  if (inserted) {
    it->second = std::make_unique<Channel>();
    it->second->name = channel_name;
  }
  Channel* channel = it->second.get();
  if (!channel->entries.empty() && channel->entries.back().id >= id) return false;
  channel->entries.push_back(Entry{id, now_ms, frame});
  bytes_ += EntryBytes(channel->entries.back());
  ++message_count_;
  order_.push_back(OrderRef{channel, id});
  ++channel->global_refs;

  if (channel->entries.size() > limits_.messages_per_channel) DropFront(channel);
  while (bytes_ > limits_.max_bytes && !order_.empty()) PopOrder();
  return true;
}

void History::DropFront(Channel* channel) {
  Entry& front = channel->entries.front();
  channel->watermark = std::max(channel->watermark, front.id);
  bytes_ -= EntryBytes(front);
  --message_count_;
  channel->entries.pop_front();
}

// Removes the globally oldest entry (skipping references to entries that the
// per-channel cap already dropped).
void History::PopOrder() {
  OrderRef ref = order_.front();
  order_.pop_front();
  Channel* channel = ref.channel;
  --channel->global_refs;
  if (!channel->entries.empty() && channel->entries.front().id == ref.id) DropFront(channel);
  ReleaseIfUnused(channel);
}

void History::ReleaseIfUnused(Channel* channel) {
  if (!channel->entries.empty() || channel->global_refs != 0) return;
  // Forgetting a channel must not forget that it lost messages.
  removed_watermark_ = std::max(removed_watermark_, channel->watermark);
  channels_.erase(channel->name);
}

void History::ExpireOld(uint64_t now_ms) {
  while (!order_.empty()) {
    const OrderRef& ref = order_.front();
    Channel* channel = ref.channel;
    bool stale = channel->entries.empty() || channel->entries.front().id != ref.id;
    if (!stale && now_ms - channel->entries.front().stored_at_ms < limits_.ttl_ms) break;
    PopOrder();
  }
}

void History::CollectChannel(const Channel& channel, uint64_t after, Collected* out) const {
  out->watermark = std::max(out->watermark, channel.watermark);
  if (!channel.entries.empty()) {
    uint64_t first = channel.entries.front().id;
    if (out->oldest_id == 0 || first < out->oldest_id) out->oldest_id = first;
  }
  // Entries are sorted by id: binary search for the first one after `after`.
  auto begin = std::upper_bound(channel.entries.begin(), channel.entries.end(), after,
                                [](uint64_t value, const Entry& entry) { return value < entry.id; });
  for (auto it = begin; it != channel.entries.end(); ++it) out->entries.push_back(&*it);
}

History::Collected History::Collect(const std::vector<std::string>& topics, uint64_t after) const {
  Collected out;
  out.watermark = removed_watermark_;
  std::vector<const Channel*> seen;
  for (const std::string& topic : topics) {
    if (!IsPattern(topic)) {
      auto it = channels_.find(topic);
      if (it != channels_.end() && std::find(seen.begin(), seen.end(), it->second.get()) == seen.end()) {
        seen.push_back(it->second.get());
        CollectChannel(*it->second, after, &out);
      }
      continue;
    }
    for (const auto& [name, channel] : channels_) {
      if (std::find(seen.begin(), seen.end(), channel.get()) != seen.end()) continue;
      if (!GlobMatch(topic, name)) continue;
      seen.push_back(channel.get());
      CollectChannel(*channel, after, &out);
    }
  }
  std::sort(out.entries.begin(), out.entries.end(), [](const Entry* a, const Entry* b) { return a->id < b->id; });
  // One message published to several channels is stored once per channel but
  // replayed once.
  out.entries.erase(std::unique(out.entries.begin(), out.entries.end(),
                                [](const Entry* a, const Entry* b) { return a->id == b->id; }),
                    out.entries.end());
  return out;
}

}  // namespace ssebridge
