#include "compat_twisted/delayed_call.hpp"

#include "compat_twisted/errors.hpp"

namespace weft::twisted {

struct DelayedCall::State {
  double time = 0;
  double delayed_time = 0;
  std::function<void()> func;
  Hook canceller;
  Hook resetter;
  Hook changed;
  std::function<double()> seconds;
  bool called = false;
  bool cancelled = false;
};

DelayedCall::DelayedCall(double time, std::function<void()> func, Hook cancel, Hook reset,
                         std::function<double()> seconds)
    : s_(std::make_shared<State>()) {
  s_->time = time;
  s_->func = std::move(func);
  s_->canceller = std::move(cancel);
  s_->resetter = std::move(reset);
  s_->seconds = std::move(seconds);
}

double DelayedCall::getTime() const noexcept { return s_->time + s_->delayed_time; }

double DelayedCall::time() const noexcept { return s_->time; }

bool DelayedCall::active() const noexcept { return !(s_->called || s_->cancelled); }

bool DelayedCall::called() const noexcept { return s_->called; }

bool DelayedCall::cancelled() const noexcept { return s_->cancelled; }

namespace {

void check_active(bool cancelled, bool called) {
  if (cancelled) throw AlreadyCancelled();
  if (called) throw AlreadyCalled();
}

}  // namespace

void DelayedCall::cancel() {
  check_active(s_->cancelled, s_->called);
  std::shared_ptr<State> keep = s_;
  if (keep->canceller) keep->canceller(*this);
  keep->cancelled = true;
  // Release what the function holds (often the Deferred that holds this call).
  std::function<void()> dropped = std::move(keep->func);
  keep->func = nullptr;
}

void DelayedCall::reset(double secondsFromNow) {
  check_active(s_->cancelled, s_->called);
  const double newTime = s_->seconds() + secondsFromNow;
  if (newTime < s_->time) {
    s_->delayed_time = 0.0;
    s_->time = newTime;
    if (s_->resetter) s_->resetter(*this);
  } else {
    s_->delayed_time = newTime - s_->time;
  }
  if (s_->changed) s_->changed(*this);
}

void DelayedCall::delay(double secondsLater) {
  check_active(s_->cancelled, s_->called);
  s_->delayed_time += secondsLater;
  if (s_->delayed_time < 0.0) {
    s_->time += s_->delayed_time;
    s_->delayed_time = 0.0;
    if (s_->resetter) s_->resetter(*this);
  }
  if (s_->changed) s_->changed(*this);
}

void DelayedCall::invoke() {
  std::shared_ptr<State> keep = s_;
  keep->called = true;
  std::function<void()> f = std::move(keep->func);
  keep->func = nullptr;
  if (f) f();
}

void DelayedCall::setTimeChangeHook(Hook h) { s_->changed = std::move(h); }

void DelayedCall::abandon() noexcept {
  if (!s_->called) s_->cancelled = true;
  s_->func = nullptr;
  s_->canceller = nullptr;
  s_->resetter = nullptr;
  s_->changed = nullptr;
  s_->seconds = [] { return 0.0; };
}

}  // namespace weft::twisted
