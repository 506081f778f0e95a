#pragma once
// Shared helpers of the weft test suite: run a body as the main tasklet of a
// fresh loop with the leak check, capture the log, compare times with one
// tolerance, count live payloads, look for text in a message, and kill a
// tasklet at a park.

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if __has_include(<doctest/doctest.h>)
#include <doctest/doctest.h>
#else
#include <doctest.h>
#endif

#include "sched/log.hpp"
#include "sched/loop.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

namespace weft_test {

// The one tolerance for time assertions (seconds).
inline constexpr double kTolerance = 0.05;

// True when `actual` is within `tolerance` of `expected` (both in seconds).
inline bool near(double actual, double expected, double tolerance = kTolerance) {
  return actual >= expected - tolerance && actual <= expected + tolerance;
}

// For tests under virtual time: `actual` equals `expected` (seconds) to a
// microsecond (a double's seconds, such as 0.05, may round a nanosecond off).
inline bool exact(double actual, double expected) {
  return actual >= expected - 1e-6 && actual <= expected + 1e-6;
}

// Seconds since `start` on the loop clock.
inline double since(weft::Clock::time_point start) {
  return std::chrono::duration<double>(weft::now() - start).count();
}

// True when `s` contains `needle` (exception messages, logs).
inline bool contains(std::string_view s, std::string_view needle) {
  return s.find(needle) != std::string_view::npos;
}

// Collects a loop's log messages (install with `options()`).
struct LogCapture {
  std::vector<std::string> lines;
  weft::LogHandler handler() {
    return [this](weft::LogLevel, std::string_view m) { lines.emplace_back(m); };
  }
  // How many lines contain `needle`.
  std::size_t count(std::string_view needle) const {
    std::size_t n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
};

// Sends what the process writes to stderr (fd 2) into a pipe while alive;
// text() restores stderr and returns what was written. For what weft writes
// to stderr itself (the SIGQUIT dump, the blocked-loop watchdog).
class StderrCapture {
 public:
  StderrCapture() {
    REQUIRE(::pipe2(pipe_, O_CLOEXEC) == 0);
    ::fcntl(pipe_[1], F_SETPIPE_SZ, 1 << 20);  // never full before text() reads it
    ::fcntl(pipe_[0], F_SETFL, O_NONBLOCK);
    saved_ = ::dup(STDERR_FILENO);
    REQUIRE(::dup2(pipe_[1], STDERR_FILENO) == STDERR_FILENO);
  }
  ~StderrCapture() { text(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  std::string text() {
    if (saved_ >= 0) {
      ::dup2(saved_, STDERR_FILENO);
      ::close(saved_);
      ::close(pipe_[1]);
      saved_ = -1;
      char buf[4096];
      for (ssize_t n; (n = ::read(pipe_[0], buf, sizeof buf)) > 0;) text_.append(buf, n);
      ::close(pipe_[0]);
    }
    return text_;
  }

 private:
  int pipe_[2] = {-1, -1};
  int saved_ = -1;
  std::string text_;
};

// A payload that counts its live instances, so a test can check that no
// message or value was lost or leaked.
struct Counted {
  static inline int live = 0;
  int value = 0;
  explicit Counted(int v) : value(v) { ++live; }
  Counted(const Counted& o) : value(o.value) { ++live; }
  Counted(Counted&& o) noexcept : value(o.value) { ++live; }
  Counted& operator=(const Counted&) = default;
  ~Counted() { --live; }
};

// Spawns a tasklet that parks with `park`, kills it there, and checks that its
// destructors ran before kill() returned and that it never got past its park.
// `what` names the park in a failure's message. Call it from a tasklet.
template <class Park>
void check_kill_during(const char* what, Park park) {
  INFO("kill during " << std::string(what));
  bool cleaned = false;
  bool after_park = false;
  auto t = weft::Tasklet::spawn([&] {
    struct Cleanup {
      bool& flag;
      ~Cleanup() { flag = true; }
    } c{cleaned};
    park();
    after_park = true;
  });
  for (int i = 0; i < 3; ++i) weft::Tasklet::yield_();  // let it reach its park
  REQUIRE_FALSE(t.has_finished());
  t.kill();
  CHECK(cleaned);
  CHECK_FALSE(after_park);
  CHECK(t.has_finished());
  CHECK(t.failed());
}

// Checks the stats of loops that have torn down: no tasklet, stack, watcher or
// deadline left, nothing in the run queue.
inline void check_clean(const weft::LoopStats& stats) {
  CHECK_MESSAGE(stats.live_tasklets == 0, "leaked tasklets: " << stats.live_tasklets);
  CHECK_MESSAGE(stats.live_stacks == 0, "leaked stacks: " << stats.live_stacks);
  CHECK_MESSAGE(stats.live_watchers == 0, "leaked watchers: " << stats.live_watchers);
  CHECK_MESSAGE(stats.pending_timers == 0, "leaked deadlines: " << stats.pending_timers);
  CHECK_MESSAGE(stats.runnable == 0, "tasklets left in the run queue: " << stats.runnable);
}

// Runs body as the main tasklet of a fresh loop, rethrows what escaped it, and
// checks that nothing leaked: live tasklets, stacks, watchers and deadlines are
// all back to zero once the loop has torn down. Returns dispatch's exit code.
template <class F>
int run(F&& body, weft::DispatchOptions options = {}) {
  std::exception_ptr error;
  weft::LoopStats stats;
  options.main_error = &error;
  options.stats_at_exit = &stats;
  int code = weft::dispatch(std::forward<F>(body), options);
  check_clean(stats);
  if (error) std::rethrow_exception(error);
  return code;
}

// run() under virtual time (DispatchOptions::virtual_time): timers fire at
// their exact times, in no wall time.
template <class F>
int run_virtual(F&& body, weft::DispatchOptions options = {}) {
  options.virtual_time = true;
  return run(std::forward<F>(body), std::move(options));
}

// run() with the log captured into `log`.
template <class F>
int run_logged(LogCapture& log, F&& body, weft::DispatchOptions options = {}) {
  options.log = log.handler();
  return run(std::forward<F>(body), std::move(options));
}

}  // namespace weft_test
