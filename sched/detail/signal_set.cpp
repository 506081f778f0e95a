#include "sched/detail/signal_set.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

namespace weft::detail {

namespace {

// Which loop's set each signal goes to, and how many handlers are between
// reading it and using it (remove waits them out before a set can go).
std::mutex routes_mu;  // add and remove: one route change at a time
std::atomic<SignalSet*> routes[NSIG];
std::atomic<int> in_handler{0};

void on_signal(int signo) {
  const int saved = errno;
  in_handler.fetch_add(1);
  if (SignalSet* set = routes[signo].load()) set->note(signo);
  in_handler.fetch_sub(1);
  errno = saved;
}

std::string signal_name(int signo) {
  const char* abbrev = ::sigabbrev_np(signo);
  return abbrev != nullptr ? "SIG" + std::string(abbrev) : std::to_string(signo);
}

}  // namespace

void SignalSet::add(Watch& w) {
  const int signo = w.signo;
  if (signo <= 0 || signo >= NSIG) throw std::invalid_argument("weft: cannot watch signal " + std::to_string(signo));
  std::lock_guard<std::mutex> lock(routes_mu);
  SignalSet* owner = routes[signo].load();
  if (owner != nullptr && owner != this) {
    throw std::logic_error("weft: " + signal_name(signo) + " is already watched by another loop");
  }
  watches_[signo].push_back(&w);
  if (owner != nullptr) return;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigfillset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  routes[signo].store(this);
  if (::sigaction(signo, &sa, nullptr) != 0) {
    const int err = errno;
    routes[signo].store(nullptr);
    watches_[signo].pop_back();
    throw std::system_error(err, std::generic_category(), "weft: sigaction(" + signal_name(signo) + ")");
  }
}

void SignalSet::remove(Watch& w) noexcept {
  std::lock_guard<std::mutex> lock(routes_mu);
  auto& list = watches_[w.signo];
  const auto it = std::find(list.begin(), list.end(), &w);
  if (it == list.end()) return;
  list.erase(it);
  if (list.empty()) release(w.signo);
}

void SignalSet::clear() noexcept {
  std::lock_guard<std::mutex> lock(routes_mu);
  for (int signo = 1; signo < NSIG; ++signo) {
    if (watches_[signo].empty()) continue;
    watches_[signo].clear();
    release(signo);
  }
}

void SignalSet::release(int signo) noexcept {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(signo, &sa, nullptr);
  routes[signo].store(nullptr);
  // A handler that read the route before it changed may still be using this
  // set (on another thread): wait until none is.
  while (in_handler.load() != 0) ::sched_yield();
  pending_[signo].store(false, std::memory_order_relaxed);
}

void SignalSet::note(int signo) noexcept {
  pending_[signo].store(true, std::memory_order_relaxed);
  any_.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  const ssize_t ignored = ::write(wake_fd_, &one, sizeof one);  // full counter: a wake-up is due anyway
  (void)ignored;
}

void SignalSet::dispatch() noexcept {
  if (!any_.exchange(false, std::memory_order_acquire)) return;
  for (int signo = 1; signo < NSIG; ++signo) {
    if (!pending_[signo].load(std::memory_order_relaxed)) continue;
    if (!pending_[signo].exchange(false, std::memory_order_relaxed)) continue;
    // By index: a callback may remove a watch (then one may be skipped).
    const auto& list = watches_[signo];
    for (std::size_t i = 0; i < list.size(); ++i) list[i]->cb(list[i]->owner, signo);
  }
}

}  // namespace weft::detail
