// Unit tests for History (include/ssebridge/history.h):
// per-channel ordering, count / memory / age retention, trim watermarks
// (including the shared watermark of forgotten channels), collection across
// channels and patterns, and a seeded randomized check of the invariants when
// per-channel trimming leaves stale entries in the global eviction order.

#include "ssebridge/history.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "heap_stats.h"

namespace ssebridge {
namespace {

using testing::ElementsAre;
using testing::IsEmpty;

// A message frame carrying its id, as the brokers build them.
FrameRef MakeFrame(uint64_t id, const std::string& payload = "data: x\n\n") {
  std::string buffer = Frame::StartBuffer();
  buffer.append(payload);
  return Frame::Seal(std::move(buffer), id);
}

std::vector<uint64_t> Ids(const History::Collected& collected) {
  std::vector<uint64_t> ids;
  for (const History::Entry* entry : collected.entries) ids.push_back(entry->id);
  return ids;
}

History::Limits MakeLimits(size_t per_channel, uint64_t ttl_ms = 3600 * 1000, size_t max_bytes = 64u << 20) {
  History::Limits limits;
  limits.messages_per_channel = per_channel;
  limits.ttl_ms = ttl_ms;
  limits.max_bytes = max_bytes;
  return limits;
}

// bytes() charged for one entry of the frame MakeFrame(id, payload) builds.
size_t CostOf(const std::string& payload = "data: x\n\n") {
  History probe(MakeLimits(10));
  EXPECT_TRUE(probe.Append("probe", 1, MakeFrame(1, payload), 0));
  return probe.bytes();
}

// --- Append ordering --------------------------------------------------------------------

TEST(HistoryTest, AppendStoresPerChannelInIdOrder) {
  History history(MakeLimits(10));
  EXPECT_TRUE(history.enabled());
  EXPECT_TRUE(history.Append("a", 1, MakeFrame(1), 0));
  EXPECT_TRUE(history.Append("b", 2, MakeFrame(2), 0));
  EXPECT_TRUE(history.Append("a", 3, MakeFrame(3), 0));
  EXPECT_TRUE(history.Append("a", 10, MakeFrame(10), 0));
  EXPECT_EQ(history.message_count(), 4u);
  EXPECT_EQ(history.channel_count(), 2u);

  History::Collected a = history.Collect({"a"}, 0);
  EXPECT_THAT(Ids(a), ElementsAre(1u, 3u, 10u));
  EXPECT_EQ(a.watermark, 0u);
  EXPECT_EQ(a.oldest_id, 1u);
  EXPECT_THAT(Ids(history.Collect({"b"}, 0)), ElementsAre(2u));
  EXPECT_THAT(Ids(history.Collect({"a"}, 3)), ElementsAre(10u));
  EXPECT_THAT(Ids(history.Collect({"a"}, 2)), ElementsAre(3u, 10u));
  EXPECT_THAT(Ids(history.Collect({"a"}, 10)), IsEmpty());
  EXPECT_THAT(Ids(history.Collect({"unknown"}, 0)), IsEmpty());
  // The stored entry keeps the frame and the time it was stored.
  History::Collected again = history.Collect({"a"}, 9);
  ASSERT_EQ(again.entries.size(), 1u);
  EXPECT_EQ(again.entries[0]->frame->id(), 10u);
}

TEST(HistoryTest, RepeatedOrOlderIdOnSameChannelIsRejected) {
  History history(MakeLimits(10));
  ASSERT_TRUE(history.Append("a", 5, MakeFrame(5), 0));
  const size_t bytes = history.bytes();
  EXPECT_FALSE(history.Append("a", 5, MakeFrame(5), 0));
  EXPECT_FALSE(history.Append("a", 4, MakeFrame(4), 0));
  EXPECT_FALSE(history.Append("a", 1, MakeFrame(1), 0));
  EXPECT_EQ(history.message_count(), 1u);
  EXPECT_EQ(history.bytes(), bytes);
  EXPECT_THAT(Ids(history.Collect({"a"}, 0)), ElementsAre(5u));
  // Other channels have their own order.
  EXPECT_TRUE(history.Append("b", 4, MakeFrame(4), 0));
  EXPECT_TRUE(history.Append("a", 6, MakeFrame(6), 0));
  EXPECT_THAT(Ids(history.Collect({"a"}, 0)), ElementsAre(5u, 6u));
}

TEST(HistoryTest, IdZeroIsRejected) {
  History history(MakeLimits(10));
  EXPECT_FALSE(history.Append("a", 0, MakeFrame(0), 0));
  EXPECT_EQ(history.message_count(), 0u);
  EXPECT_EQ(history.bytes(), 0u);
  EXPECT_THAT(Ids(history.Collect({"a"}, 0)), IsEmpty());
}

TEST(HistoryTest, DisabledWhenMessagesPerChannelIsZero) {
  History history(MakeLimits(0));
  EXPECT_FALSE(history.enabled());
  EXPECT_FALSE(history.Append("a", 1, MakeFrame(1), 0));
  EXPECT_EQ(history.message_count(), 0u);
  EXPECT_EQ(history.bytes(), 0u);
  EXPECT_EQ(history.channel_count(), 0u);
  EXPECT_THAT(Ids(history.Collect({"a", "*"}, 0)), IsEmpty());
}

TEST(HistoryTest, AppendChargesBytes) {
  History history(MakeLimits(10));
  const std::string small = "data: x\n\n";
  const std::string big = "data: " + std::string(500, 'y') + "\n\n";
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1, small), 0));
  const size_t one = history.bytes();
  EXPECT_GT(one, small.size());
  ASSERT_TRUE(history.Append("a", 2, MakeFrame(2, big), 0));
  // The bigger frame costs at least its extra payload more.
  EXPECT_GE(history.bytes() - one, one + (big.size() - small.size()));
}

// --- Per-channel count cap ----------------------------------------------------------------

TEST(HistoryTest, CountCapDropsOldestAndRaisesWatermark) {
  History history(MakeLimits(3));
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_TRUE(history.Append("a", id * 10, MakeFrame(id * 10), 0));
  ASSERT_TRUE(history.Append("b", 55, MakeFrame(55), 0));
  EXPECT_EQ(history.message_count(), 4u);
  EXPECT_EQ(history.bytes(), history.RecountBytes());

  History::Collected a = history.Collect({"a"}, 0);
  EXPECT_THAT(Ids(a), ElementsAre(30u, 40u, 50u));
  EXPECT_EQ(a.watermark, 20u);
  EXPECT_EQ(a.oldest_id, 30u);

  History::Collected after = history.Collect({"a"}, 35);
  EXPECT_THAT(Ids(after), ElementsAre(40u, 50u));
  EXPECT_EQ(after.watermark, 20u);
  EXPECT_EQ(after.oldest_id, 30u);  // Oldest retained, regardless of `after`.

  // The other channel is untouched by a's trimming.
  History::Collected b = history.Collect({"b"}, 0);
  EXPECT_THAT(Ids(b), ElementsAre(55u));
  EXPECT_EQ(b.watermark, 0u);
  EXPECT_EQ(b.oldest_id, 55u);
}

TEST(HistoryTest, CountCapOfOneKeepsOnlyTheNewest) {
  History history(MakeLimits(1));
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1), 0));
  ASSERT_TRUE(history.Append("a", 2, MakeFrame(2), 0));
  ASSERT_TRUE(history.Append("a", 7, MakeFrame(7), 0));
  History::Collected a = history.Collect({"a"}, 0);
  EXPECT_THAT(Ids(a), ElementsAre(7u));
  EXPECT_EQ(a.watermark, 2u);
  EXPECT_EQ(history.message_count(), 1u);
  EXPECT_EQ(history.bytes(), history.RecountBytes());
  EXPECT_EQ(history.channel_count(), 1u);
}

TEST(HistoryTest, OldestIdIsOldestRetainedAmongAskedChannels) {
  History history(MakeLimits(2));
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1), 0));
  ASSERT_TRUE(history.Append("b", 2, MakeFrame(2), 0));
  ASSERT_TRUE(history.Append("c", 3, MakeFrame(3), 0));
  ASSERT_TRUE(history.Append("a", 4, MakeFrame(4), 0));
  ASSERT_TRUE(history.Append("a", 5, MakeFrame(5), 0));  // Drops a:1.
  EXPECT_EQ(history.Collect({"a"}, 0).oldest_id, 4u);
  EXPECT_EQ(history.Collect({"a", "c"}, 0).oldest_id, 3u);
  EXPECT_EQ(history.Collect({"c", "b"}, 0).oldest_id, 2u);
  EXPECT_EQ(history.Collect({"a", "b", "c"}, 100).oldest_id, 2u);
  EXPECT_EQ(history.Collect({"zzz"}, 0).oldest_id, 0u);
  // The watermark is the highest among the asked channels.
  EXPECT_EQ(history.Collect({"b", "c"}, 0).watermark, 0u);
  EXPECT_EQ(history.Collect({"b", "a"}, 0).watermark, 1u);
}

// --- Memory cap --------------------------------------------------------------------------

TEST(HistoryTest, MemoryCapEvictsGloballyOldestAcrossChannels) {
  // The cap is what a:1, b:2, a:3 cost together, measured on an unbounded twin.
  History twin(MakeLimits(100));
  ASSERT_TRUE(twin.Append("a", 1, MakeFrame(1), 0));
  ASSERT_TRUE(twin.Append("b", 2, MakeFrame(2), 0));
  ASSERT_TRUE(twin.Append("a", 3, MakeFrame(3), 0));
  const size_t cap = twin.bytes();
  History history(MakeLimits(100, 3600 * 1000, cap));
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1), 0));
  ASSERT_TRUE(history.Append("b", 2, MakeFrame(2), 0));
  ASSERT_TRUE(history.Append("a", 3, MakeFrame(3), 0));
  EXPECT_EQ(history.bytes(), cap);
  EXPECT_EQ(history.message_count(), 3u);

  // A new channel costs more than one message on an existing channel frees,
  // so c:4 evicts from the front of the global order until it fits: a:1, then b:2.
  ASSERT_TRUE(history.Append("c", 4, MakeFrame(4), 0));
  EXPECT_LE(history.bytes(), cap);
  EXPECT_EQ(history.bytes(), history.RecountBytes());
  History::Collected a = history.Collect({"a"}, 0);
  EXPECT_THAT(Ids(a), ElementsAre(3u));
  EXPECT_EQ(a.watermark, 2u);  // a's own loss (1), raised by the forgotten b (2).
  EXPECT_THAT(Ids(history.Collect({"b"}, 0)), IsEmpty());
  EXPECT_THAT(Ids(history.Collect({"c"}, 0)), ElementsAre(4u));
  EXPECT_EQ(history.message_count(), 2u);
  EXPECT_EQ(history.channel_count(), 2u);

  // The next message on c evicts the globally oldest, a:3, and a goes too.
  ASSERT_TRUE(history.Append("c", 5, MakeFrame(5), 0));
  EXPECT_LE(history.bytes(), cap);
  EXPECT_THAT(Ids(history.Collect({"a"}, 0)), IsEmpty());
  EXPECT_THAT(Ids(history.Collect({"c"}, 0)), ElementsAre(4u, 5u));
  EXPECT_EQ(history.Collect({"a"}, 0).watermark, 3u);
}

TEST(HistoryTest, MemoryCapNeverExceededWithMixedSizes) {
  const size_t cost = CostOf();
  const size_t cap = 10 * cost;
  History history(MakeLimits(1000, 3600 * 1000, cap));
  std::mt19937 rng(7);
  std::map<std::string, std::vector<uint64_t>> appended;
  for (uint64_t id = 1; id <= 400; ++id) {
    const std::string channel = "ch" + std::to_string(rng() % 4);
    const std::string payload = "data: " + std::string(rng() % 200, 'p') + "\n\n";
    ASSERT_TRUE(history.Append(channel, id, MakeFrame(id, payload), 0));
    appended[channel].push_back(id);
    ASSERT_LE(history.bytes(), cap) << "after id " << id;
    size_t count = 0;
    for (const auto& [name, ids] : appended) count += history.Collect({name}, 0).entries.size();
    ASSERT_EQ(history.message_count(), count) << "after id " << id;
  }
  // What remains is the most recent suffix of appends (global order = id order).
  History::Collected all = history.Collect({"ch*"}, 0);
  ASSERT_FALSE(all.entries.empty());
  const uint64_t first = all.entries.front()->id;
  EXPECT_EQ(all.entries.back()->id, 400u);
  EXPECT_EQ(all.entries.size(), 400u - first + 1);
  EXPECT_EQ(all.watermark, first - 1);
}

TEST(HistoryTest, EntryLargerThanMemoryCapDoesNotStay) {
  const size_t cost = CostOf();
  History history(MakeLimits(10, 3600 * 1000, 2 * cost));
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1), 0));
  history.Append("big", 2, MakeFrame(2, "data: " + std::string(10 * cost, 'z') + "\n\n"), 0);
  EXPECT_LE(history.bytes(), 2 * cost);
  History::Collected big = history.Collect({"big"}, 0);
  EXPECT_THAT(Ids(big), IsEmpty());
  EXPECT_GE(big.watermark, 2u);  // Dropped, so a resume from before it has a gap.
}

TEST(HistoryTest, ChannelEmptiedByMemoryCapIsForgottenButItsWatermarkCounts) {
  const size_t cost = CostOf();
  History history(MakeLimits(10, 3600 * 1000, 2 * cost));
  ASSERT_TRUE(history.Append("x", 1, MakeFrame(1), 0));
  ASSERT_TRUE(history.Append("y", 2, MakeFrame(2), 0));
  EXPECT_EQ(history.channel_count(), 2u);
  ASSERT_TRUE(history.Append("z", 3, MakeFrame(3), 0));  // Evicts x:1, x is now empty.
  EXPECT_EQ(history.channel_count(), 2u);
  EXPECT_EQ(history.message_count(), 2u);
  History::Collected x = history.Collect({"x"}, 0);
  EXPECT_THAT(Ids(x), IsEmpty());
  EXPECT_GE(x.watermark, 1u);
  EXPECT_EQ(x.oldest_id, 0u);
  // Also through a pattern that matches no live channel.
  EXPECT_GE(history.Collect({"x*"}, 0).watermark, 1u);
}

// --- TTL ------------------------------------------------------------------------------------

TEST(HistoryTest, ExpireOldRemovesEntriesOlderThanTtl) {
  History history(MakeLimits(10, /*ttl_ms=*/100));
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1), 1000));
  ASSERT_TRUE(history.Append("b", 2, MakeFrame(2), 1050));
  ASSERT_TRUE(history.Append("a", 3, MakeFrame(3), 1060));
  ASSERT_TRUE(history.Append("b", 4, MakeFrame(4), 1070));

  history.ExpireOld(1099);  // Nothing is 100 ms old yet.
  EXPECT_EQ(history.message_count(), 4u);
  const size_t full = history.bytes();
  EXPECT_EQ(full, history.RecountBytes());

  history.ExpireOld(1155);  // a:1 (155 ms) and b:2 (105 ms) expire.
  EXPECT_EQ(history.message_count(), 2u);
  EXPECT_EQ(history.bytes(), history.RecountBytes());
  EXPECT_LT(history.bytes(), full);
  History::Collected a = history.Collect({"a"}, 0);
  EXPECT_THAT(Ids(a), ElementsAre(3u));
  EXPECT_GE(a.watermark, 1u);
  EXPECT_EQ(a.oldest_id, 3u);
  History::Collected b = history.Collect({"b"}, 0);
  EXPECT_THAT(Ids(b), ElementsAre(4u));
  EXPECT_EQ(b.watermark, 2u);
  EXPECT_EQ(history.channel_count(), 2u);

  history.ExpireOld(1500);
  EXPECT_EQ(history.message_count(), 0u);
  EXPECT_EQ(history.bytes(), 0u);
  EXPECT_EQ(history.channel_count(), 0u);
}

TEST(HistoryTest, ChannelEmptiedByTtlIsForgottenButItsWatermarkCounts) {
  History history(MakeLimits(10, /*ttl_ms=*/100));
  ASSERT_TRUE(history.Append("gone", 5, MakeFrame(5), 0));
  ASSERT_TRUE(history.Append("gone", 6, MakeFrame(6), 10));
  ASSERT_TRUE(history.Append("kept", 7, MakeFrame(7), 90));
  EXPECT_EQ(history.channel_count(), 2u);
  history.ExpireOld(150);
  EXPECT_EQ(history.channel_count(), 1u);
  EXPECT_EQ(history.message_count(), 1u);

  History::Collected gone = history.Collect({"gone"}, 0);
  EXPECT_THAT(Ids(gone), IsEmpty());
  EXPECT_GE(gone.watermark, 6u);
  EXPECT_EQ(gone.oldest_id, 0u);
  // A resume from 5 on "gone" is therefore known to have missed 6.
  EXPECT_GT(history.Collect({"gone"}, 5).watermark, 5u);

  // Re-created later, the channel still reports the old loss.
  ASSERT_TRUE(history.Append("gone", 8, MakeFrame(8), 150));
  History::Collected reborn = history.Collect({"gone"}, 0);
  EXPECT_THAT(Ids(reborn), ElementsAre(8u));
  EXPECT_GE(reborn.watermark, 6u);
}

TEST(HistoryTest, ExpireOldSkipsEntriesAlreadyDroppedByCountCap) {
  History history(MakeLimits(1, /*ttl_ms=*/100));
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1), 0));
  ASSERT_TRUE(history.Append("a", 2, MakeFrame(2), 10));
  ASSERT_TRUE(history.Append("a", 3, MakeFrame(3), 20));
  ASSERT_TRUE(history.Append("b", 4, MakeFrame(4), 30));
  history.ExpireOld(105);  // a:1 and a:2 are long gone; a:3 is 85 ms old.
  EXPECT_THAT(Ids(history.Collect({"a"}, 0)), ElementsAre(3u));
  EXPECT_THAT(Ids(history.Collect({"b"}, 0)), ElementsAre(4u));
  EXPECT_EQ(history.message_count(), 2u);
  EXPECT_EQ(history.channel_count(), 2u);

  history.ExpireOld(125);  // a:3 expires; b:4 (95 ms) stays.
  EXPECT_EQ(history.channel_count(), 1u);
  EXPECT_EQ(history.message_count(), 1u);
  EXPECT_EQ(history.bytes(), history.RecountBytes());
  EXPECT_EQ(history.Collect({"a"}, 0).watermark, 3u);
  EXPECT_THAT(Ids(history.Collect({"b"}, 0)), ElementsAre(4u));
}

TEST(HistoryTest, StaleOrderReferenceDoesNotBlockExpiryOfOtherChannels) {
  // a:1 is dropped by the count cap, but its place at the head of the global
  // order remains; it must not hide that b:2 behind it is past the TTL.
  History history(MakeLimits(1, /*ttl_ms=*/100));
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1), 0));
  ASSERT_TRUE(history.Append("b", 2, MakeFrame(2), 10));
  ASSERT_TRUE(history.Append("a", 3, MakeFrame(3), 90));  // Drops a:1.
  history.ExpireOld(150);  // b:2 is 140 ms old, a:3 only 60 ms.
  EXPECT_THAT(Ids(history.Collect({"b"}, 0)), IsEmpty());
  EXPECT_GE(history.Collect({"b"}, 0).watermark, 2u);
  EXPECT_THAT(Ids(history.Collect({"a"}, 0)), ElementsAre(3u));
  EXPECT_EQ(history.message_count(), 1u);
  EXPECT_EQ(history.channel_count(), 1u);
}

TEST(HistoryTest, StaleOrderReferenceDoesNotEvictTheWrongEntryUnderMemoryPressure) {
  History twin(MakeLimits(1));
  ASSERT_TRUE(twin.Append("a", 1, MakeFrame(1), 0));
  ASSERT_TRUE(twin.Append("a", 2, MakeFrame(2), 0));
  ASSERT_TRUE(twin.Append("b", 3, MakeFrame(3), 0));
  const size_t cap = twin.bytes();
  History history(MakeLimits(1, 3600 * 1000, cap));
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1), 0));
  ASSERT_TRUE(history.Append("a", 2, MakeFrame(2), 0));  // Drops a:1 (stale reference left).
  ASSERT_TRUE(history.Append("b", 3, MakeFrame(3), 0));
  EXPECT_EQ(history.bytes(), cap);
  ASSERT_TRUE(history.Append("c", 4, MakeFrame(4), 0));  // Must evict a:2, the oldest live entry.
  EXPECT_LE(history.bytes(), cap);
  EXPECT_THAT(Ids(history.Collect({"*"}, 0)), ElementsAre(3u, 4u));
  EXPECT_EQ(history.Collect({"a"}, 0).watermark, 2u);
  EXPECT_EQ(history.channel_count(), 2u);
}

// --- Collect across channels and patterns -----------------------------------------------

TEST(HistoryTest, CollectWithPatternGathersMatchingChannelsAscending) {
  History history(MakeLimits(10));
  ASSERT_TRUE(history.Append("room.1", 1, MakeFrame(1), 0));
  ASSERT_TRUE(history.Append("room.2", 2, MakeFrame(2), 0));
  ASSERT_TRUE(history.Append("lobby", 3, MakeFrame(3), 0));
  ASSERT_TRUE(history.Append("room.1", 4, MakeFrame(4), 0));
  ASSERT_TRUE(history.Append("room.2", 5, MakeFrame(5), 0));
  ASSERT_TRUE(history.Append("roomy", 6, MakeFrame(6), 0));

  EXPECT_THAT(Ids(history.Collect({"room.*"}, 0)), ElementsAre(1u, 2u, 4u, 5u));
  EXPECT_THAT(Ids(history.Collect({"room.*"}, 2)), ElementsAre(4u, 5u));
  EXPECT_THAT(Ids(history.Collect({"room.*", "lobby"}, 0)), ElementsAre(1u, 2u, 3u, 4u, 5u));
  EXPECT_THAT(Ids(history.Collect({"room.?"}, 4)), ElementsAre(5u));
  EXPECT_THAT(Ids(history.Collect({"*"}, 0)), ElementsAre(1u, 2u, 3u, 4u, 5u, 6u));
  EXPECT_THAT(Ids(history.Collect({"nothing.*"}, 0)), IsEmpty());
  // Overlapping topics do not duplicate a channel's entries.
  EXPECT_THAT(Ids(history.Collect({"room.1", "room.*", "room.1", "*"}, 0)), ElementsAre(1u, 2u, 3u, 4u, 5u, 6u));
  EXPECT_THAT(Ids(history.Collect({"lobby", "lobby"}, 0)), ElementsAre(3u));
}

TEST(HistoryTest, MessageOnSeveralChannelsIsCollectedOnce) {
  History history(MakeLimits(10));
  FrameRef shared = MakeFrame(7);
  ASSERT_TRUE(history.Append("a", 7, shared, 0));
  ASSERT_TRUE(history.Append("b", 7, shared, 0));
  ASSERT_TRUE(history.Append("c", 7, shared, 0));
  ASSERT_TRUE(history.Append("a", 8, MakeFrame(8), 0));
  ASSERT_TRUE(history.Append("b", 6 + 3, MakeFrame(9), 0));
  EXPECT_EQ(history.message_count(), 5u);  // Stored once per channel.

  History::Collected both = history.Collect({"a", "b", "c"}, 0);
  EXPECT_THAT(Ids(both), ElementsAre(7u, 8u, 9u));
  EXPECT_EQ(both.entries[0]->frame.get(), shared.get());
  EXPECT_THAT(Ids(history.Collect({"*"}, 0)), ElementsAre(7u, 8u, 9u));
  EXPECT_THAT(Ids(history.Collect({"*"}, 7)), ElementsAre(8u, 9u));
}

// --- Memory accounting and the channel cap ----------------------------------------------

// A frame the size of a small real message ("id: ...\nevent: message\ndata: ...").
FrameRef RealisticFrame(uint64_t id) {
  return MakeFrame(id, "id: " + std::to_string(id) + "\ndata: {\"n\":" + std::to_string(id % 1000) + "}\n\n");
}

// The promise of --history-max-bytes: what bytes() reports is what the heap
// really grew by, for the worst shape (one message on each of many channels)
// and for the common one (many messages on one channel).
TEST(HistoryMemoryTest, AccountedBytesMatchRealHeapGrowth) {
  if (test::GlibcHeapBytes() == 0) GTEST_SKIP() << "needs glibc's allocator statistics";
  struct Shape {
    const char* what;
    int channels;
    int per_channel;
  };
  for (const Shape& shape : {Shape{"one-off channels", 20000, 1}, Shape{"one busy channel", 1, 20000},
                             Shape{"long names", 5000, 3}}) {
    const size_t before = test::GlibcHeapBytes();
    size_t accounted = 0;
    {
      History history(MakeLimits(100000, 3600 * 1000, size_t{1} << 30));
      uint64_t id = 0;
      for (int c = 0; c < shape.channels; ++c) {
        std::string name = std::string(shape.what[0] == 'l' ? "a-rather-long-channel-name-" : "ch-") + std::to_string(c);
        for (int m = 0; m < shape.per_channel; ++m) {
          ++id;
          ASSERT_TRUE(history.Append(name, id, RealisticFrame(id), 0));
        }
      }
      accounted = history.bytes();
      const size_t grown = test::GlibcHeapBytes() - before;
      // Counted at least what the heap grew by (less 2% for allocator slack we
      // do not model), and not wildly more.
      EXPECT_GE(accounted, grown - grown / 50) << shape.what << ": heap grew " << grown;
      EXPECT_LE(accounted, grown + grown / 4) << shape.what << ": heap grew " << grown;
      EXPECT_EQ(accounted, history.RecountBytes()) << shape.what;
    }
    // And it all goes back (up to allocator noise: gtest's own bookkeeping).
    EXPECT_LT(test::GlibcHeapBytes(), before + (64 << 10)) << shape.what;
  }
}

TEST(HistoryMemoryTest, OneOffChannelsAreChargedTheirBookkeeping) {
  History history(MakeLimits(1000));
  ASSERT_TRUE(history.Append("probe", 1, RealisticFrame(1), 0));
  const size_t one = history.bytes();
  // A map node, an entry slot, the frame object and its buffer, an order
  // reference: far more than the ~40 bytes of the message itself.
  EXPECT_GT(one, RealisticFrame(1)->chunked().size() + 200);
  // A longer name costs its heap block too.
  History named(MakeLimits(1000));
  ASSERT_TRUE(named.Append(std::string(100, 'n'), 1, RealisticFrame(1), 0));
  EXPECT_GE(named.bytes(), one + 100);
}

TEST(HistoryMemoryTest, ManyOneOffChannelsStayWithinTheByteCap) {
  const size_t cap = 256 << 10;
  History history(MakeLimits(1000, 3600 * 1000, cap));
  for (uint64_t id = 1; id <= 50000; ++id) {
    ASSERT_TRUE(history.Append("oneoff-" + std::to_string(id), id, RealisticFrame(id), 0));
    ASSERT_LE(history.bytes(), cap) << "after " << id;
  }
  EXPECT_EQ(history.bytes(), history.RecountBytes());
  // What is kept is the newest channels, and the rest left a watermark.
  History::Collected newest = history.Collect({"oneoff-50000"}, 0);
  EXPECT_THAT(Ids(newest), ElementsAre(50000u));
  History::Collected oldest = history.Collect({"oneoff-1"}, 0);
  EXPECT_THAT(Ids(oldest), IsEmpty());
  EXPECT_GE(oldest.watermark, 1u);
  EXPECT_LT(history.channel_count(), 2000u);  // Each costs hundreds of bytes.
  EXPECT_EQ(history.channel_count(), history.message_count());
}

TEST(HistoryMemoryTest, StaleReferencesOfABusyChannelDoNotPileUp) {
  // A quiet channel's message (not due for an hour) sits at the front of the
  // global order; behind it a busy channel trimmed to one message leaves a
  // stale reference per publish. They must be compacted away, not kept for
  // the hour.
  History history(MakeLimits(1));
  ASSERT_TRUE(history.Append("quiet", 1, RealisticFrame(1), 0));
  for (uint64_t id = 2; id <= 200000; ++id) ASSERT_TRUE(history.Append("busy", id, RealisticFrame(id), 0));
  history.ExpireOld(1);
  EXPECT_EQ(history.message_count(), 2u);
  EXPECT_EQ(history.bytes(), history.RecountBytes());
  EXPECT_LT(history.bytes(), 64u << 10) << "stale order references kept";
  EXPECT_THAT(Ids(history.Collect({"quiet"}, 0)), ElementsAre(1u));
  EXPECT_THAT(Ids(history.Collect({"busy"}, 0)), ElementsAre(200000u));
}

TEST(HistoryChannelCapTest, LeastRecentlyUsedChannelIsEvictedWithAWatermark) {
  History::Limits limits = MakeLimits(10);
  limits.max_channels = 3;
  History history(limits);
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1), 0));
  ASSERT_TRUE(history.Append("b", 2, MakeFrame(2), 0));
  ASSERT_TRUE(history.Append("b", 3, MakeFrame(3), 0));
  ASSERT_TRUE(history.Append("c", 4, MakeFrame(4), 0));
  ASSERT_TRUE(history.Append("a", 5, MakeFrame(5), 0));  // a is now the most recently used.
  EXPECT_EQ(history.channel_count(), 3u);
  EXPECT_EQ(history.evicted_channels(), 0u);

  ASSERT_TRUE(history.Append("d", 6, MakeFrame(6), 0));  // Evicts b, the least recently used.
  EXPECT_EQ(history.channel_count(), 3u);
  EXPECT_EQ(history.evicted_channels(), 1u);
  EXPECT_EQ(history.message_count(), 4u);
  EXPECT_EQ(history.bytes(), history.RecountBytes());
  History::Collected b = history.Collect({"b"}, 0);
  EXPECT_THAT(Ids(b), IsEmpty());
  EXPECT_EQ(b.watermark, 3u);  // A resume on b from before 3 gets a gap...
  EXPECT_FALSE(history.Collect({"b"}, 3).watermark > 3u);  // ... from 3 on, nothing was lost.
  EXPECT_THAT(Ids(history.Collect({"a"}, 0)), ElementsAre(1u, 5u));
  EXPECT_THAT(Ids(history.Collect({"c"}, 0)), ElementsAre(4u));
  EXPECT_THAT(Ids(history.Collect({"d"}, 0)), ElementsAre(6u));
  EXPECT_GE(history.Collect({"?"}, 0).watermark, 3u);  // Through a pattern too.

  // A re-delivery of b's old ids is refused; new ones start b again.
  EXPECT_FALSE(history.Append("b", 3, MakeFrame(3), 0));
  ASSERT_TRUE(history.Append("b", 7, MakeFrame(7), 0));  // Evicts c now.
  History::Collected reborn = history.Collect({"b"}, 0);
  EXPECT_THAT(Ids(reborn), ElementsAre(7u));
  EXPECT_EQ(reborn.watermark, 3u);
  EXPECT_THAT(Ids(history.Collect({"c"}, 0)), IsEmpty());
  EXPECT_EQ(history.Collect({"c"}, 0).watermark, 4u);
  EXPECT_EQ(history.evicted_channels(), 2u);
}

TEST(HistoryChannelCapTest, EvictedChannelsWatermarkSurvivesItsRelease) {
  History::Limits limits = MakeLimits(10, /*ttl_ms=*/100);
  limits.max_channels = 2;
  History history(limits);
  for (uint64_t id = 1; id <= 3000; ++id) {
    ASSERT_TRUE(history.Append("ch" + std::to_string(id), id, MakeFrame(id), 0));
    ASSERT_LE(history.channel_count(), 2u);
  }
  EXPECT_EQ(history.evicted_channels(), 2998u);
  EXPECT_EQ(history.bytes(), history.RecountBytes());
  // Evicted channels linger (empty) only until their order references are
  // compacted or expire; their loss stays known either way.
  history.ExpireOld(1000);
  EXPECT_EQ(history.message_count(), 0u);
  EXPECT_EQ(history.bytes(), 0u);  // Nothing left, not even the map's bucket array.
  EXPECT_GE(history.Collect({"ch5"}, 4).watermark, 5u);
  EXPECT_GE(history.Collect({"ch2999"}, 2998).watermark, 2999u);
}

TEST(HistoryChannelCapTest, CapOfOneKeepsOnlyTheLatestChannel) {
  History::Limits limits = MakeLimits(10);
  limits.max_channels = 1;
  History history(limits);
  ASSERT_TRUE(history.Append("a", 1, MakeFrame(1), 0));
  ASSERT_TRUE(history.Append("a", 2, MakeFrame(2), 0));
  ASSERT_TRUE(history.Append("b", 3, MakeFrame(3), 0));
  EXPECT_EQ(history.channel_count(), 1u);
  EXPECT_THAT(Ids(history.Collect({"*"}, 0)), ElementsAre(3u));
  EXPECT_EQ(history.Collect({"a"}, 0).watermark, 2u);
}

TEST(HistoryChannelCapTest, EvictionIsNotAScan) {
  // 200,000 one-off channels through a cap of 1000: linear work overall.
  History::Limits limits = MakeLimits(1000);
  limits.max_channels = 1000;
  History history(limits);
  const auto started = std::chrono::steady_clock::now();
  for (uint64_t id = 1; id <= 200000; ++id) {
    ASSERT_TRUE(history.Append("c" + std::to_string(id), id, MakeFrame(id), 0));
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(history.channel_count(), 1000u);
  EXPECT_EQ(history.evicted_channels(), 199000u);
  // A scan of 1000 channels per append would take seconds; generous for ASan.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 5000);
}

// --- Randomized invariants with stale order references ----------------------------------

// Many channels, a small per-channel cap (so most order references go stale),
// a small memory cap and a TTL, with global ids increasing as brokers issue
// them. After each step, for every channel:
//  - the entries are a contiguous suffix of the ids appended to it (no holes,
//    nothing invented), strictly ascending, <= the cap, and every appended id
//    missing from them is <= the reported watermark;
//  - the watermark never exceeds the newest id appended to the history;
//  - nothing retained is older than the TTL at the last ExpireOld;
// and globally bytes() <= max_bytes, bytes()/message_count()/channel_count()
// agree with what Collect returns, and a pattern Collect is the sorted union.
TEST(HistoryTest, RandomizedRetentionKeepsInvariants) {
  const std::string base_payload = "data: x\n\n";
  const size_t cost = CostOf(base_payload);
  // Per-entry overhead besides the chunked frame bytes.
  const size_t overhead = cost - MakeFrame(1, base_payload)->chunked().size();
  const size_t max_bytes = 25 * cost;
  const uint64_t ttl_ms = 25;
  History history(MakeLimits(3, ttl_ms, max_bytes));

  struct Appended {
    uint64_t id;
    uint64_t at_ms;
    size_t cost;
  };
  std::map<std::string, std::vector<Appended>> appended;  // Per channel, accepted appends.
  std::mt19937 rng(20240607);
  uint64_t id = 0;
  uint64_t now = 1000;
  uint64_t last_expire = 0;
  bool expired_once = false;
  int expiries_that_removed = 0;
  int memory_evictions = 0;
  int cap_drops = 0;

  for (int step = 0; step < 4000; ++step) {
    now += rng() % 4 == 0 ? rng() % 40 : 0;  // Bursts and pauses.
    if (rng() % 20 == 0) {
      const size_t before = history.message_count();
      history.ExpireOld(now);
      expiries_that_removed += history.message_count() < before;
      last_expire = now;
      expired_once = true;
    } else {
      ++id;
      if (rng() % 10 == 0) id += rng() % 5;  // Ids may skip (other channels' messages elsewhere).
      const std::string payload = "data: " + std::string(rng() % 300, 'q') + "\n\n";
      FrameRef frame = MakeFrame(id, payload);
      // One to three distinct channels share the frame, like a multi-channel publish.
      const size_t bytes_at_start = history.bytes();
      std::set<std::string> channels;
      const int fanout = 1 + static_cast<int>(rng() % 3);
      // Two hot channels (where the count cap trims, leaving stale order
      // references) among ten cold ones (trimmed by memory and age).
      while (static_cast<int>(channels.size()) < fanout) {
        channels.insert("c" + std::to_string(rng() % 2 == 0 ? rng() % 2 : 2 + rng() % 10));
      }
      for (const std::string& channel : channels) {
        cap_drops += history.Collect({channel}, 0).entries.size() == 3;
        ASSERT_TRUE(history.Append(channel, id, frame, now)) << "step " << step;
        appended[channel].push_back(Appended{id, now, frame->chunked().size() + overhead});
      }
      if (bytes_at_start + channels.size() * (frame->chunked().size() + overhead) > max_bytes) ++memory_evictions;
      // Rejections leave everything untouched.
      const size_t bytes_before = history.bytes();
      const size_t count_before = history.message_count();
      ASSERT_FALSE(history.Append(*channels.begin(), id, frame, now));
      ASSERT_EQ(history.bytes(), bytes_before);
      ASSERT_EQ(history.message_count(), count_before);
    }

    ASSERT_LE(history.bytes(), max_bytes) << "step " << step;
    size_t total_count = 0;
    size_t live_channels = 0;
    std::set<uint64_t> union_ids;
    for (const auto& [channel, log] : appended) {
      History::Collected got = history.Collect({channel}, 0);
      ASSERT_LE(got.watermark, id) << channel << " step " << step;
      ASSERT_LE(got.entries.size(), 3u) << channel << " step " << step;
      // Retained: a contiguous suffix of what was appended to the channel.
      // Everything appended above the watermark must be retained (a loss
      // after id L always shows as watermark > L). The watermark may cover a
      // retained id only through the shared watermark of forgotten channels.
      size_t first = log.size();
      if (!got.entries.empty()) {
        first = 0;
        while (first < log.size() && log[first].id != got.entries.front()->id) ++first;
        ASSERT_LT(first, log.size()) << channel << " returned an id never appended, step " << step;
        ASSERT_GE(got.entries.front()->id, got.watermark) << channel << " step " << step;
      }
      std::vector<uint64_t> expected;
      for (size_t i = 0; i < log.size(); ++i) {
        const Appended& a = log[i];
        if (i < first) {
          ASSERT_LE(a.id, got.watermark) << channel << " lost id " << a.id << " without a watermark, step " << step;
          continue;
        }
        expected.push_back(a.id);
        if (expired_once) {
          ASSERT_LT(last_expire - std::min(last_expire, a.at_ms), ttl_ms) << channel << " id " << a.id;
        }
      }
      ASSERT_EQ(Ids(got), expected) << channel << " step " << step << " watermark " << got.watermark;
      ASSERT_EQ(got.oldest_id, expected.empty() ? 0u : expected.front()) << channel << " step " << step;
      for (const History::Entry* entry : got.entries) ASSERT_EQ(entry->frame->id(), entry->id);
      total_count += got.entries.size();
      live_channels += !got.entries.empty();
      union_ids.insert(expected.begin(), expected.end());
    }
    ASSERT_EQ(history.message_count(), total_count) << "step " << step;
    // The accounting kept step by step matches a full recount.
    ASSERT_EQ(history.bytes(), history.RecountBytes()) << "step " << step;
    ASSERT_EQ(history.channel_count(), live_channels) << "step " << step;

    if (step % 25 == 0) {
      const uint64_t after = id > 40 ? id - rng() % 40 : 0;
      History::Collected all = history.Collect({"c*"}, after);
      std::vector<uint64_t> want;
      for (uint64_t u : union_ids) {
        if (u > after) want.push_back(u);
      }
      ASSERT_EQ(Ids(all), want) << "step " << step;  // Ascending, unique.
    }
  }
  // The run must actually have exercised all three eviction paths.
  EXPECT_GT(id, 1000u);
  EXPECT_GT(expiries_that_removed, 20) << memory_evictions;
  EXPECT_GT(memory_evictions, 200) << expiries_that_removed;
  EXPECT_GT(cap_drops, 200) << memory_evictions;
}

// --- Collect with a limit (issue 9: replay size) ---------------------------------------

TEST(HistoryCollectLimitTest, KeepsTheNewestAcrossChannelsAndNamesTheNewestLeftOut) {
  History history(MakeLimits(100));
  // Interleaved ids over three channels: a has 1,4,7,..; b 2,5,8,..; c 3,6,9,..
  for (uint64_t id = 1; id <= 30; ++id) {
    ASSERT_TRUE(history.Append(std::string(1, static_cast<char>('a' + (id - 1) % 3)), id, MakeFrame(id), 0));
  }
  History::Collected all = history.Collect({"*"}, 0);
  EXPECT_EQ(all.entries.size(), 30u);
  EXPECT_EQ(all.omitted, 0u);

  History::Collected newest = history.Collect({"*"}, 0, 4);
  EXPECT_THAT(Ids(newest), ElementsAre(27u, 28u, 29u, 30u));
  EXPECT_EQ(newest.omitted, 26u);
  EXPECT_EQ(newest.oldest_id, 1u);

  // From a later id, the same newest four; nothing left out when they all fit.
  EXPECT_EQ(history.Collect({"*"}, 20, 4).omitted, 26u);
  History::Collected fits = history.Collect({"a", "b", "c"}, 26, 4);
  EXPECT_THAT(Ids(fits), ElementsAre(27u, 28u, 29u, 30u));
  EXPECT_EQ(fits.omitted, 0u);
  // One channel alone: its newest two.
  History::Collected one = history.Collect({"b"}, 0, 2);
  EXPECT_THAT(Ids(one), ElementsAre(26u, 29u));
  EXPECT_EQ(one.omitted, 23u);
}

TEST(HistoryCollectLimitTest, AMessageOnSeveralChannelsCountsOnce) {
  History history(MakeLimits(100));
  for (uint64_t id = 1; id <= 6; ++id) {
    FrameRef frame = MakeFrame(id);
    ASSERT_TRUE(history.Append("x", id, frame, 0));
    ASSERT_TRUE(history.Append("y", id, frame, 0));
  }
  History::Collected collected = history.Collect({"x", "y"}, 0, 3);
  EXPECT_THAT(Ids(collected), ElementsAre(4u, 5u, 6u));
  EXPECT_EQ(collected.omitted, 3u);
}

// Against a plain model: whatever the spread over channels, the limited
// collection is the newest `limit` ids of the whole one, and `omitted` the
// newest id it left out.
TEST(HistoryCollectLimitTest, MatchesTheNewestOfTheWholeCollection) {
  std::mt19937 random(20261207);
  for (int round = 0; round < 200; ++round) {
    History history(MakeLimits(50));
    const int channels = 1 + static_cast<int>(random() % 40);
    const int messages = static_cast<int>(random() % 400);
    for (int i = 1; i <= messages; ++i) {
      FrameRef frame = MakeFrame(static_cast<uint64_t>(i));
      history.Append("ch" + std::to_string(random() % channels), static_cast<uint64_t>(i), frame, 0);
      if (random() % 5 == 0) history.Append("ch" + std::to_string(random() % channels), static_cast<uint64_t>(i), frame, 0);
    }
    const uint64_t after = random() % (messages + 1);
    const size_t limit = 1 + random() % 30;
    std::vector<uint64_t> whole = Ids(history.Collect({"ch*"}, after));
    History::Collected limited = history.Collect({"ch*"}, after, limit);
    const size_t kept = std::min(limit, whole.size());
    std::vector<uint64_t> expected(whole.end() - static_cast<std::ptrdiff_t>(kept), whole.end());
    ASSERT_EQ(Ids(limited), expected) << "round " << round;
    const uint64_t omitted = whole.size() > kept ? whole[whole.size() - kept - 1] : 0;
    ASSERT_EQ(limited.omitted, omitted) << "round " << round;
  }
}

}  // namespace
}  // namespace ssebridge
