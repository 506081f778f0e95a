#include "sched/signal_watch.hpp"

#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "sched/detail/loop.hpp"
#include "sched/detail/poller.hpp"
#include "sched/extension.hpp"
#include "sched/park.hpp"

namespace weft {

using detail::Loop;
using detail::Poller;

SignalWatch::SignalWatch(int signo) : signo_(signo), loop_(&detail::require_loop("SignalWatch")) {
  if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP) {
    throw std::invalid_argument("weft: cannot watch signal " + std::to_string(signo));
  }
  watch_ = loop_->poller().signal_create(signo, &SignalWatch::on_signal, this);
}

SignalWatch::~SignalWatch() { close(); }

void SignalWatch::on_signal(void* owner, int) noexcept {
  auto* self = static_cast<SignalWatch*>(owner);
  ++self->pending_;
  self->waiters_.notify_all();
}

std::size_t SignalWatch::wait(Timeout t) {
  const Deadline d = Deadline::from(t);
  while (pending_ == 0) {
    if (watch_ == nullptr) return 0;
    const Wake w = waiters_.wait(d, WaitKind::signal, wait_on_number(signo_));
    const char* abbrev = ::sigabbrev_np(signo_);
    check_wake(w, d, "wait for signal " +
                         (abbrev != nullptr ? "SIG" + std::string(abbrev) : std::to_string(signo_)));
  }
  return std::exchange(pending_, 0);
}

void SignalWatch::close() noexcept {
  if (watch_ == nullptr) return;
  loop_->poller().signal_destroy(static_cast<Poller::Signal*>(watch_));
  watch_ = nullptr;
  waiters_.notify_all();
}

void wait_signal(int signo, Timeout t) {
  SignalWatch w(signo);
  w.wait(t);
}

}  // namespace weft
