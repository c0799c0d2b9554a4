#include "ssebridge/loop_scheduler.h"

#include "ssebridge/broker.h"
#include "ssebridge/completion_queue.h"

namespace ssebridge {

LoopScheduler::LoopScheduler(uv_loop_t* loop, Timeouts timeouts, Actions actions)
    : loop_(loop),
      timeouts_(timeouts),
      actions_(actions),
      ages_(timeouts.max_stream_age_ms, uv_now(loop)),
      jitter_state_(uv_hrtime()) {
  uv_prepare_init(loop_, &prepare_);
  prepare_.data = this;
  uv_timer_init(loop_, &sweep_timer_);
  sweep_timer_.data = this;
  uv_timer_init(loop_, &write_delay_timer_);
  write_delay_timer_.data = this;
}

void LoopScheduler::Start(CompletionQueue* completions, Broker* broker, std::function<void(uint64_t)> on_sweep) {
  completions_ = completions;
  broker_ = broker;
  on_sweep_ = std::move(on_sweep);
  uv_prepare_start(&prepare_, OnPrepare);
  uv_timer_start(&sweep_timer_, OnSweep, kSweepIntervalMs, kSweepIntervalMs);
}

void LoopScheduler::Close() {
  if (closed_) return;
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sweep_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&write_delay_timer_), nullptr);
}

void LoopScheduler::ScheduleFlushSlow(Entry* entry) {
  if (entry->flush_hook.linked()) {
    // Something that must not wait takes along what was waiting.
    IntrusiveList<Entry>::Remove(&entry->flush_hook);
    entry->flush_delayed = false;
  }
  flush_list_.PushBack(&entry->flush_hook, entry);
}

void LoopScheduler::ScheduleDelayedFlushSlow(Entry* entry) {
  if (timeouts_.write_delay_ms == 0) {
    flush_list_.PushBack(&entry->flush_hook, entry);
    return;
  }
  delayed_flush_list_.PushBack(&entry->flush_hook, entry);
  entry->flush_delayed = true;
  // One timer for all streams: the first waiting message opens the window and
  // everything queued until it closes leaves together.
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&write_delay_timer_))) {
    uv_timer_start(&write_delay_timer_, OnWriteDelay, timeouts_.write_delay_ms, 0);
  }
}

void LoopScheduler::OnWriteDelay(uv_timer_t* timer) {
  auto* self = static_cast<LoopScheduler*>(timer->data);
  // Hand the batch to this turn's flush (the prepare callback runs next).
  while (Entry* entry = self->delayed_flush_list_.Front()) {
    IntrusiveList<Entry>::Remove(&entry->flush_hook);
    entry->flush_delayed = false;
    self->flush_list_.PushBack(&entry->flush_hook, entry);
  }
}

void LoopScheduler::OnPrepare(uv_prepare_t* handle) { static_cast<LoopScheduler*>(handle->data)->RunPrepare(); }

void LoopScheduler::RunPrepare() {
  // Broker results that were known at once run here, never inside the call
  // that asked for them. Then the publishes batched during this turn go to
  // Redis; the refusals that produces are answered in this same turn.
  if (completions_ != nullptr) completions_->RunAll();
  if (broker_ != nullptr) broker_->Flush();
  if (completions_ != nullptr) completions_->RunAll();
  // Runs right before the loop blocks: everything queued during this turn
  // (fan-out, responses, heartbeats) leaves in one writev per connection.
  uint32_t until_clock_read = 0;
  while (Entry* entry = flush_list_.Front()) {
    if (until_clock_read-- == 0) {
      write_clock_us_ = static_cast<uint32_t>(uv_hrtime() / 1000);
      until_clock_read = kWriteClockStride - 1;
    }
    IntrusiveList<Entry>::Remove(&entry->flush_hook);
    actions_.flush(entry);
  }
}

void LoopScheduler::TrackReading(Entry* entry) {
  entry->deadline_start_ms = now_ms();
  reading_list_.MoveToBack(&entry->deadline_hook, entry);
}

void LoopScheduler::TrackLingering(Entry* entry) {
  entry->deadline_start_ms = now_ms();
  lingering_list_.MoveToBack(&entry->deadline_hook, entry);
}

void LoopScheduler::TrackPolling(Entry* entry) {
  entry->deadline_start_ms = now_ms();
  polling_list_.MoveToBack(&entry->deadline_hook, entry);
}

void LoopScheduler::TrackStream(Entry* entry) {
  entry->last_write_ms = now_ms();
  stream_list_.MoveToBack(&entry->stream_hook, entry);
}

uint32_t LoopScheduler::NextJitter() {
  uint64_t z = (jitter_state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<uint32_t>((z ^ (z >> 31)) >> 32);
}

void LoopScheduler::TrackStreamAge(Entry* entry) {
  if (!ages_.enabled()) return;
  IntrusiveList<Entry>::Remove(&entry->deadline_hook);
  ages_.Add(&entry->deadline_hook, entry, now_ms(), ages_.JitteredAgeMs(NextJitter()));
}

void LoopScheduler::OnStreamAged(void* entry, void* self) {
  static_cast<LoopScheduler*>(self)->actions_.stream_aged(static_cast<Entry*>(entry));
}

void LoopScheduler::Forget(Entry* entry) {
  IntrusiveList<Entry>::Remove(&entry->deadline_hook);
  IntrusiveList<Entry>::Remove(&entry->stream_hook);
  IntrusiveList<Entry>::Remove(&entry->flush_hook);
  entry->flush_delayed = false;
}

void LoopScheduler::OnSweep(uv_timer_t* timer) { static_cast<LoopScheduler*>(timer->data)->Sweep(); }

void LoopScheduler::Sweep() {
  const uint64_t now = now_ms();
  while (Entry* entry = reading_list_.Front()) {
    if (now - entry->deadline_start_ms < timeouts_.request_ms) break;
    IntrusiveList<Entry>::Remove(&entry->deadline_hook);
    actions_.request_timeout(entry);
  }
  while (Entry* entry = lingering_list_.Front()) {
    if (now - entry->deadline_start_ms < timeouts_.linger_ms) break;
    IntrusiveList<Entry>::Remove(&entry->deadline_hook);
    actions_.linger_timeout(entry);
  }
  while (Entry* entry = polling_list_.Front()) {
    if (now - entry->deadline_start_ms < timeouts_.poll_ms) break;
    IntrusiveList<Entry>::Remove(&entry->deadline_hook);
    actions_.poll_timeout(entry);
  }
  // Each aged stream queues its end and asks for a flush; none closes here.
  ages_.Expire(now, &LoopScheduler::OnStreamAged, this);
  if (on_sweep_) on_sweep_(now);
  while (Entry* entry = stream_list_.Front()) {
    if (now - entry->last_write_ms < timeouts_.heartbeat_ms) break;
    actions_.heartbeat(entry);  // Moves it to the back of the list.
  }
}

}  // namespace ssebridge
