#pragma once
// The pending calls of a Clock or Reactor, kept the way Twisted's Clock keeps
// them: a list stable-sorted by getTime() at every callLater and after every
// call, so equal times run in list order. Sorting is lazy: while the list is
// known to be in order, a new call goes in after its equals (what a stable
// sort of the appended list gives); a reset()/delay() marks it stale and the
// next access re-sorts the whole list.

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "weft/compat_twisted/delayed_call.hpp"

namespace weft::twisted::detail {

class CallList {
 public:
  CallList() = default;
  CallList(const CallList&) = delete;
  CallList& operator=(const CallList&) = delete;
  // Abandons every pending call (their handles then say cancelled).
  ~CallList();

  // A new call at `time` running f. `on_reset` is Twisted's reset hook
  // (called when a reset()/delay() moves it earlier); `seconds` the clock.
  DelayedCall add(double time, std::function<void()> f, DelayedCall::Hook on_reset,
                  std::function<double()> seconds);
  // Stable-sorts when stale.
  void sort();
  // The earliest call, if any (sorts first).
  std::optional<DelayedCall> front();
  // Removes the earliest call (after front()).
  void pop_front();
  bool empty() const noexcept { return head_ == calls_.size(); }
  std::size_t size() const noexcept { return calls_.size() - head_; }
  // The pending calls in list order.
  std::vector<DelayedCall> snapshot() const;
  // Abandons and forgets every pending call.
  void clear() noexcept;
  // Called after any change (add, cancel, reset, delay, pop): owners re-arm timers here.
  std::function<void()> on_change;

 private:
  void remove(const DelayedCall& c);
  void compact();

  std::vector<DelayedCall> calls_;
  std::size_t head_ = 0;  // calls_[0, head_) are popped slots
  bool stale_ = false;
};

}  // namespace weft::twisted::detail
