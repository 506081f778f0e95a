#include "compat_twisted/detail/call_list.hpp"

#include <algorithm>
#include <stdexcept>

namespace weft::twisted::detail {

namespace {

bool earlier(const DelayedCall& a, const DelayedCall& b) { return a.getTime() < b.getTime(); }

}  // namespace

CallList::~CallList() { clear(); }

void CallList::clear() noexcept {
  for (std::size_t i = head_; i < calls_.size(); ++i) calls_[i].abandon();
  calls_.clear();
  head_ = 0;
  stale_ = false;
}

DelayedCall CallList::add(double time, std::function<void()> f, DelayedCall::Hook on_reset,
                          std::function<double()> seconds) {
  DelayedCall c(
      time, std::move(f), [this](DelayedCall& self) { remove(self); }, std::move(on_reset),
      std::move(seconds));
  c.setTimeChangeHook([this](DelayedCall&) {
    stale_ = true;
    if (on_change) on_change();
  });
  if (stale_) {
    calls_.push_back(c);
    sort();
  } else {
    auto pos = std::upper_bound(calls_.begin() + static_cast<std::ptrdiff_t>(head_), calls_.end(),
                                c, earlier);
    calls_.insert(pos, c);
  }
  if (on_change) on_change();
  return c;
}

void CallList::sort() {
  if (!stale_) return;
  std::stable_sort(calls_.begin() + static_cast<std::ptrdiff_t>(head_), calls_.end(), earlier);
  stale_ = false;
}

std::optional<DelayedCall> CallList::front() {
  sort();
  if (empty()) return std::nullopt;
  return calls_[head_];
}

void CallList::pop_front() {
  ++head_;
  compact();
  if (on_change) on_change();
}

void CallList::remove(const DelayedCall& c) {
  auto it = std::find(calls_.begin() + static_cast<std::ptrdiff_t>(head_), calls_.end(), c);
  if (it == calls_.end()) {
    throw std::logic_error("weft::twisted: cancelling a DelayedCall its clock does not hold");
  }
  calls_.erase(it);
  if (on_change) on_change();
}

void CallList::compact() {
  if (head_ == calls_.size()) {
    calls_.clear();
    head_ = 0;
  } else if (head_ > 64 && head_ * 2 > calls_.size()) {
    calls_.erase(calls_.begin(), calls_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

std::vector<DelayedCall> CallList::snapshot() const {
  return std::vector<DelayedCall>(calls_.begin() + static_cast<std::ptrdiff_t>(head_),
                                  calls_.end());
}

}  // namespace weft::twisted::detail
