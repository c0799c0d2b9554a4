#include "ssebridge/history.h"

#include <algorithm>
#include <unordered_set>

#include "ssebridge/channel.h"
#include "ssebridge/user_channel.h"

namespace ssebridge {
namespace {

// A std::string keeps this many characters inline (libstdc++: 15); longer
// ones take a heap block of capacity + 1.
const size_t kInlineStringCapacity = std::string().capacity();

size_t StringHeapBytes(size_t capacity) {
  return capacity > kInlineStringCapacity ? History::HeapBytes(capacity + 1) : 0;
}

}  // namespace

// ------------------------------------------------------------------- Ring

void History::Ring::PushBack(Entry entry) {
  if (size_ == slots_.size()) Reallocate(slots_.empty() ? 1 : 2 * slots_.size());
  slots_[(head_ + size_) % slots_.size()] = std::move(entry);
  ++size_;
}

void History::Ring::PopFront() {
  slots_[head_].frame = FrameRef();
  head_ = (head_ + 1) % slots_.size();
  --size_;
  if (size_ == 0) {
    std::vector<Entry>().swap(slots_);
    head_ = 0;
  } else if (slots_.size() > 8 && size_ * 4 <= slots_.size()) {
    // A channel that shrank (age or memory eviction) gives the room back.
    Reallocate(slots_.size() / 2);
  }
}

void History::Ring::Reallocate(size_t capacity) {
  std::vector<Entry> next(capacity);
  for (size_t i = 0; i < size_; ++i) next[i] = std::move(slots_[(head_ + i) % slots_.size()]);
  slots_.swap(next);
  head_ = 0;
}

// ---------------------------------------------------------------- costing

size_t History::HeapBytes(size_t size) {
  if (size == 0) return 0;
  // glibc: an 8-byte header, 16-byte alignment, 32-byte minimum chunk.
  return std::max<size_t>(32, (size + 8 + 15) & ~size_t{15});
}

size_t History::FrameBytes(const FrameRef& frame) {
  return HeapBytes(sizeof(Frame)) + StringHeapBytes(frame->buffer_capacity());
}

size_t History::ChannelBytes(const std::string& name, const Channel& channel) {
  // A node of the map holds the next pointer, the key and value, and the
  // cached hash.
  const size_t node = HeapBytes(sizeof(void*) + sizeof(ChannelMap::value_type) + sizeof(size_t));
  return node + StringHeapBytes(name.capacity()) + HeapBytes(channel.entries.capacity() * sizeof(Entry));
}

void History::Recharge(Channel* channel) {
  const size_t now = ChannelBytes(*channel->name, *channel);
  bytes_ = bytes_ + now - channel->charged;
  channel->charged = now;
}

size_t History::RecountBytes() const {
  size_t total = order_.size() * kOrderRefBytes + BucketBytes();
  for (const auto& [name, channel] : channels_) {
    total += ChannelBytes(name, channel);
    for (size_t i = 0; i < channel.entries.size(); ++i) total += FrameBytes(channel.entries[i].frame);
  }
  return total;
}

// ----------------------------------------------------------------- append

bool History::Append(const std::string& channel_name, uint64_t id, const FrameRef& frame, uint64_t now_ms) {
  if (!enabled() || id == 0) return false;
  auto [it, inserted] = channels_.try_emplace(channel_name);
  Channel* channel = &it->second;
  if (inserted) channel->name = &it->first;
  // An id at or below what was already dropped here is a re-delivery of
  // something this channel no longer keeps.
  if (id <= channel->watermark || (!channel->entries.empty() && channel->entries.back().id >= id)) {
    if (inserted) channels_.erase(it);
    return false;
  }
  if (channel->entries.size() >= limits_.messages_per_channel) {
    DropFront(channel);
    ++stale_refs_;
  }
  channel->entries.PushBack(Entry{id, now_ms, frame});
  ++message_count_;
  bytes_ += FrameBytes(frame) + kOrderRefBytes;
  Recharge(channel);
  if (!channel->lru.linked()) ++lru_size_;
  lru_.MoveToBack(&channel->lru, channel);
  order_.push_back(OrderRef{channel, id});
  ++channel->global_refs;

  // The channel just used is at the back of lru_, so it is evicted last.
  while (lru_size_ > limits_.max_channels) EvictChannel(lru_.Front());
  while (bytes() > limits_.max_bytes && !order_.empty()) PopOrder();
  CompactOrderIfMostlyStale();
  return true;
}

void History::DropFront(Channel* channel) {
  const Entry& front = channel->entries.front();
  channel->watermark = std::max(channel->watermark, front.id);
  bytes_ -= FrameBytes(front.frame);
  --message_count_;
  channel->entries.PopFront();
  Recharge(channel);
  if (channel->entries.empty()) {
    IntrusiveList<Channel>::Remove(&channel->lru);
    --lru_size_;
  }
}

// Drops a whole channel to make room for a newer one. Its references in
// order_ become stale; the channel itself (empty, with its watermark) stays
// in the map until the last of them is gone, so a resume on it still sees
// the watermark and gets a gap.
void History::EvictChannel(Channel* channel) {
  while (!channel->entries.empty()) {
    DropFront(channel);
    ++stale_refs_;
  }
  ++evicted_channels_;
}

bool History::IsLive(const OrderRef& ref) {
  // A channel's entries are a contiguous suffix of the ids appended to it, so
  // a reference is live iff its id is not older than the channel's oldest.
  const Ring& entries = ref.channel->entries;
  return !entries.empty() && ref.id >= entries.front().id;
}

// Removes the globally oldest reference, and its entry if that is still
// retained (the per-channel cap or the channel cap may have dropped it).
void History::PopOrder() {
  OrderRef ref = order_.front();
  order_.pop_front();
  bytes_ -= kOrderRefBytes;
  Channel* channel = ref.channel;
  --channel->global_refs;
  if (IsLive(ref)) {
    DropFront(channel);
  } else {
    --stale_refs_;
  }
  ReleaseIfUnused(channel);
}

// Stale references pile up behind a live one at the front of order_ (a busy
// channel trimmed by its count cap behind a quiet channel's message that is
// not due yet). When they are most of order_, one pass removes them: the
// pass costs what the stale references cost to add, so O(1) per append
// amortised, and order_ never grows beyond twice the retained entries.
void History::CompactOrderIfMostlyStale() {
  if (stale_refs_ < 1024 || stale_refs_ * 2 < order_.size()) return;
  std::deque<OrderRef> live;
  for (const OrderRef& ref : order_) {
    if (IsLive(ref)) {
      live.push_back(ref);
      continue;
    }
    bytes_ -= kOrderRefBytes;
    --ref.channel->global_refs;
    // No later reference to this channel exists once its count is 0.
    ReleaseIfUnused(ref.channel);
  }
  order_.swap(live);
  stale_refs_ = 0;
}

void History::ReleaseIfUnused(Channel* channel) {
  if (!channel->entries.empty() || channel->global_refs != 0) return;
  // Forgetting a channel must not forget that it lost messages.
  removed_watermark_ = std::max(removed_watermark_, channel->watermark);
  bytes_ -= channel->charged;
  channels_.erase(channels_.find(*channel->name));
  // A map never shrinks its bucket array; once empty, start over, so an idle
  // history holds nothing (after a burst of channels the array can be large).
  if (channels_.empty()) ChannelMap().swap(channels_);
}

void History::ExpireOld(uint64_t now_ms) {
  while (!order_.empty()) {
    const OrderRef& ref = order_.front();
    const Ring& entries = ref.channel->entries;
    const bool stale = entries.empty() || entries.front().id != ref.id;
    if (!stale && now_ms - entries.front().stored_at_ms < limits_.ttl_ms) break;
    PopOrder();
  }
}

// ---------------------------------------------------------------- collect

namespace {

// The index of the first entry with an id above `after` (entries ascend).
template <typename Ring>
size_t FirstAbove(const Ring& entries, uint64_t after) {
  size_t low = 0;
  size_t high = entries.size();
  while (low < high) {
    const size_t middle = low + (high - low) / 2;
    if (entries[middle].id <= after) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

}  // namespace

// Adds a channel's entries after `after`. With a limit, entries below the
// floor (the oldest id kept so far, once the limit was reached) and all but
// the newest max_messages are skipped; the newest skipped one is noted.
void History::CollectChannel(const Channel& channel, uint64_t after, size_t max_messages, uint64_t* floor,
                             Collected* out) const {
  out->watermark = std::max(out->watermark, channel.watermark);
  const Ring& entries = channel.entries;
  if (entries.empty()) return;
  const uint64_t first = entries.front().id;
  if (out->oldest_id == 0 || first < out->oldest_id) out->oldest_id = first;
  const size_t low = FirstAbove(entries, after);
  size_t start = low;
  if (*floor > after) start = std::max(start, FirstAbove(entries, *floor - 1));
  if (max_messages > 0 && entries.size() - start > max_messages) start = entries.size() - max_messages;
  if (start > low) out->omitted = std::max(out->omitted, entries[start - 1].id);
  for (size_t i = start; i < entries.size(); ++i) out->entries.push_back(&entries[i]);
  if (max_messages > 0 && out->entries.size() > 2 * max_messages) KeepNewest(max_messages, floor, out);
}

// Sorts and de-duplicates what was gathered and, beyond the limit, keeps the
// newest; the floor rises to the oldest kept id.
void History::KeepNewest(size_t max_messages, uint64_t* floor, Collected* out) {
  std::vector<const Entry*>& entries = out->entries;
  std::sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) { return a->id < b->id; });
  // One message published to several channels is stored once per channel but
  // replayed once.
  entries.erase(std::unique(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) { return a->id == b->id; }),
                entries.end());
  if (max_messages == 0 || entries.size() <= max_messages) return;
  const size_t drop = entries.size() - max_messages;
  out->omitted = std::max(out->omitted, entries[drop - 1]->id);
  entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(drop));
  *floor = entries.front()->id;
}

History::Collected History::Collect(const std::vector<std::string>& topics, uint64_t after,
                                    size_t max_messages) const {
  Collected out;
  out.watermark = removed_watermark_;
  uint64_t floor = 0;
  // A channel matched by several topics is read once (a set: a pattern can
  // match every one of a hundred thousand channels).
  std::unordered_set<const Channel*> seen;
  for (const std::string& topic : topics) {
    if (!IsPattern(topic)) {
      auto it = channels_.find(topic);
      if (it != channels_.end() && seen.insert(&it->second).second) {
        CollectChannel(it->second, after, max_messages, &floor, &out);
      }
      continue;
    }
    for (const auto& [name, channel] : channels_) {
      if (!PatternCovers(topic, name) || !seen.insert(&channel).second) continue;
      CollectChannel(channel, after, max_messages, &floor, &out);
    }
  }
  KeepNewest(max_messages, &floor, &out);
  // Everything kept is newer than what was left out (a channel read before
  // the floor rose may still hold older entries: they go too).
  if (out.omitted != 0) {
    auto first_kept = std::upper_bound(out.entries.begin(), out.entries.end(), out.omitted,
                                       [](uint64_t id, const Entry* entry) { return id < entry->id; });
    out.entries.erase(out.entries.begin(), first_kept);
  }
  return out;
}

}  // namespace ssebridge
