// A minimal intrusive doubly-linked list. Objects carry their own hooks, so
// linking and unlinking never allocate, and an object can sit on several lists
// (one hook each). Used for deadline-ordered sweeps and the flush list.
#pragma once

#include <cassert>

namespace ssebridge {

struct ListHook {
  ListHook* prev = nullptr;
  ListHook* next = nullptr;
  void* owner = nullptr;
  bool linked() const { return next != nullptr; }
};

template <typename T>
class IntrusiveList {
 public:
  IntrusiveList() { head_.prev = head_.next = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return head_.next == &head_; }

  void PushBack(ListHook* hook, T* owner) {
    assert(!hook->linked());
    hook->owner = owner;
    hook->prev = head_.prev;
    hook->next = &head_;
    head_.prev->next = hook;
    head_.prev = hook;
  }

  static void Remove(ListHook* hook) {
    if (!hook->linked()) return;
    hook->prev->next = hook->next;
    hook->next->prev = hook->prev;
    hook->prev = hook->next = nullptr;
  }

  // Moves an already linked (or unlinked) hook to the back.
  void MoveToBack(ListHook* hook, T* owner) {
    Remove(hook);
    PushBack(hook, owner);
  }

  T* Front() const { return empty() ? nullptr : static_cast<T*>(head_.next->owner); }

  // Unlinks the first element and returns its owner, or nullptr when empty.
  // For lists whose owner does not know which of its hooks is linked here.
  T* PopFront() {
    if (empty()) return nullptr;
    ListHook* hook = head_.next;
    T* owner = static_cast<T*>(hook->owner);
    Remove(hook);
    return owner;
  }

 private:
  ListHook head_;
};

}  // namespace ssebridge
