#include "sched/detail/watchdog.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "sched/detail/loop.hpp"
#include "sched/extension.hpp"

namespace weft::detail {

namespace {

// The handler is the process's; each loop thread answers for its own loop.
// Installed while any watchdog runs (several loops may each have one).
std::mutex handler_mu;
int handler_users = 0;               // guarded by handler_mu
struct sigaction saved_handler {};   // guarded by handler_mu

void on_signal(int, siginfo_t*, void* ucontext) {
  const int saved_errno = errno;
  Loop* loop = tls_loop;
  if (loop != nullptr) {
    if (Watchdog* w = loop->watchdog()) w->answer(ucontext);
  }
  errno = saved_errno;
}

void install_handler() {
  std::lock_guard<std::mutex> lock(handler_mu);
  if (handler_users++ > 0) return;
  struct sigaction sa {};
  sa.sa_sigaction = &on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGURG, &sa, &saved_handler);
}

void remove_handler() noexcept {
  std::lock_guard<std::mutex> lock(handler_mu);
  if (--handler_users > 0) return;
  ::sigaction(SIGURG, &saved_handler, nullptr);
}

std::string describe_ms(std::int64_t ns) { return std::to_string(ns / 1'000'000) + " ms"; }

}  // namespace

Watchdog::Watchdog(Loop& loop, std::int64_t threshold_ns)
    : loop_(loop), pulse_(loop.pulse()), threshold_ns_(threshold_ns), loop_thread_(::pthread_self()) {
  load_unwinder();  // before any signal: the handler may not load it
  install_handler();
  try {
    thread_ = std::thread([this] { run(); });
  } catch (...) {
    remove_handler();
    throw;
  }
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  remove_handler();
}

void Watchdog::answer(void* ucontext) noexcept {
  if (!asked_.exchange(false, std::memory_order_acquire)) return;
  same_holder_ = pulse_.switches.load(std::memory_order_relaxed) ==
                     episode_.load(std::memory_order_relaxed) &&
                 !pulse_.polling.load(std::memory_order_relaxed);  // not back in the poller
  name_[0] = '\0';
  frame_count_ = 0;
  if (same_holder_) {
    const Fiber* f = loop_.running();
    if (f->is_tasklet && loop_.hooks().describe != nullptr) {
      const std::size_t n = loop_.hooks().describe(*f, name_, sizeof name_);
      name_[std::min(n, sizeof name_ - 1)] = '\0';
      // The overflow message's advice on the stack size is not this report's.
      if (char* cut = std::strstr(name_, " (stack of ")) *cut = '\0';
    } else {
      static const char loop_context[] =
          "the loop's own context (a timer callback, a posted function or a signal watch)";
      std::memcpy(name_, loop_context, sizeof loop_context);
    }
    frame_count_ = frames_from_signal(ucontext, frames_, kMaxFrames);
  }
  answered_.store(true, std::memory_order_release);
}

void Watchdog::run() {
  // A few samples per threshold: a hold is seen within a quarter of it.
  const auto period = std::chrono::nanoseconds(
      std::clamp<std::int64_t>(threshold_ns_ / 4, 1'000'000, 50'000'000));
  std::uint64_t last = pulse_.switches.load(std::memory_order_relaxed);
  std::int64_t since = clock_ns();
  bool reported = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period);
    if (stop_) break;
    const std::uint64_t now_switches = pulse_.switches.load(std::memory_order_relaxed);
    const std::int64_t now = clock_ns();
    if (now_switches != last || pulse_.polling.load(std::memory_order_relaxed)) {
      last = now_switches;
      since = now;
      reported = false;
      continue;
    }
    const std::int64_t held = now - since;
    if (held > pulse_.max_run_ns.load(std::memory_order_relaxed)) {
      pulse_.max_run_ns.store(held, std::memory_order_relaxed);
    }
    if (held >= threshold_ns_ && !reported) {
      reported = true;
      lock.unlock();
      report(held, now_switches);
      lock.lock();
    }
  }
}

void Watchdog::report(std::int64_t held_ns, std::uint64_t episode) {
  if (loop_.log_level() > LogLevel::warning) return;
  episode_.store(episode, std::memory_order_relaxed);
  answered_.store(false, std::memory_order_relaxed);
  asked_.store(true, std::memory_order_release);
  ::pthread_kill(loop_thread_, SIGURG);
  // The loop thread answers at once unless the signal is blocked there.
  const std::int64_t give_up = clock_ns() + 200'000'000;
  while (!answered_.load(std::memory_order_acquire) && clock_ns() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string line = "weft: warning: ";
  if (!answered_.load(std::memory_order_acquire)) {
    asked_.store(false, std::memory_order_relaxed);
    line += "a tasklet has held the loop for " + describe_ms(held_ns) +
            " without parking or yielding (it did not answer the watchdog's signal)\n";
  } else if (!same_holder_) {
    line += "a tasklet held the loop for " + describe_ms(held_ns) +
            " without parking or yielding (it has moved on since)\n";
  } else {
    line += std::string(name_) + " has held the loop for " + describe_ms(held_ns) +
            " without parking or yielding\n";
    if (frame_count_ > 0) {
      name_frames(frames_, frame_count_);
      line += format_frames(frames_, frame_count_, "  ");
    } else if (*unwinder_missing() != '\0') {
      line += std::string("  (") + unwinder_missing() + ")\n";
    }
  }
  ssize_t ignored = write_without_sigpipe(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace weft::detail
