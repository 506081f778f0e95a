#include "sched/detail/loop.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <thread>

#include "sched/detail/remote.hpp"
#include "sched/detail/watchdog.hpp"
#include "sched/detail/worker_pool.hpp"
#include "sched/errors.hpp"
#include "sched/extension.hpp"

namespace weft::detail {

thread_local constinit Loop* tls_loop __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

void on_quit_signal(void* owner, int signo) noexcept {
  auto* loop = static_cast<Loop*>(owner);
  // A program whose main has ended is kept alive by what is left: say what.
  if (loop->main_done() && !loop->quitting() && loop->hooks().report != nullptr) {
    loop->hooks().report(Report::quit_signal, signo);
  }
  loop->quit(128 + signo);
}

void on_sigquit(void* owner, int) noexcept {
  auto* loop = static_cast<Loop*>(owner);
  if (loop->hooks().report != nullptr) loop->hooks().report(Report::sigquit, SIGQUIT);
}

}  // namespace

std::int64_t real_clock_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::int64_t clock_ns() noexcept {
  const Loop* loop = tls_loop;
  if (loop != nullptr && loop->virtual_time()) return loop->virtual_now();
  return real_clock_ns();
}

namespace {

// The coarse clock's resolution (one tick), or 0 when it has none worth
// using (missing, or a tick over 10 ms).
std::int64_t coarse_tick_ns() noexcept {
  static const std::int64_t tick = [] {
    timespec res;
    if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0 || res.tv_sec != 0) return std::int64_t{0};
    return res.tv_nsec > 10'000'000 ? std::int64_t{0} : static_cast<std::int64_t>(res.tv_nsec);
  }();
  return tick;
}

// CLOCK_MONOTONIC as of the last tick, plus the margin: no earlier than now
// unless the coarse clock lags by more than the margin. 0 when it cannot stand
// in for clock_ns(): virtual time, or no coarse clock worth using.
std::int64_t coarse_upper_ns() noexcept {
  const std::int64_t tick = coarse_tick_ns();
  const Loop* loop = tls_loop;
  if (tick == 0 || (loop != nullptr && loop->virtual_time())) return 0;
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec + coarse_margin_ns(tick);
}

}  // namespace

std::int64_t deadline_base_ns(std::int64_t span) noexcept {
  if (span >= kCoarseMinSpanNs) {
    if (const std::int64_t upper = coarse_upper_ns(); upper != 0) return upper;
  }
  return clock_ns();
}

bool deadline_passed(std::int64_t ns, std::int64_t span) noexcept {
  if (span >= kCoarseMinSpanNs) {
    if (const std::int64_t upper = coarse_upper_ns(); upper != 0 && ns > upper) return false;
  }
  return ns <= clock_ns();
}

void Loop::set_virtual_time(bool on) noexcept {
  if (on && !virtual_time_) virtual_now_ = real_clock_ns();  // starts where the wall clock is
  virtual_time_ = on;
}

void Loop::set_schedule_seed(std::uint64_t seed) noexcept {
  // xorshift64* needs a non-zero state; mix the seed so that 1, 2, 3... differ at once.
  seed_ = seed == 0 ? 0 : (seed * 0x9E3779B97F4A7C15ULL) | 1;
}

std::uint64_t Loop::next_random() noexcept {
  seed_ ^= seed_ >> 12;
  seed_ ^= seed_ << 25;
  seed_ ^= seed_ >> 27;
  return seed_ * 0x2545F4914F6CDD1DULL;
}

Fiber* Loop::take_next() noexcept {
  if (seed_ != 0) {
    runq_.promote_random(next_random());
    ticks_left_ = 1;  // every pick comes back here (pick_next's fast path takes the front)
  }
  return runq_.pop_front();
}

Loop::Loop(const LoopHooks& hooks, LogHandler log, bool handle_signals, std::size_t default_stack)
    : current_(&main_),
      hooks_(hooks),
      log_(std::move(log)),
      stacks_(default_stack),
      previous_(tls_loop) {
  if (tls_loop != nullptr) {
    throw std::logic_error("weft: dispatch() is already running on this thread");
  }
  install_overflow_handler();
  main_.is_tasklet = false;
  main_.state = FiberState::running;
  main_.daemon = true;
  coarse_now_ = static_cast<std::uint32_t>(clock_ns() >> kCoarseShift);
  linger_.node.fire = &on_linger;
  linger_.loop = this;
  poller_ = std::make_unique<Poller>(*this);
  remote_ = std::make_shared<Remote>();
  remote_->poller = poller_.get();
  if (handle_signals) {
    ::sigaction(SIGINT, nullptr, &saved_sigint_);
    ::sigaction(SIGTERM, nullptr, &saved_sigterm_);
    sigint_ = poller_->signal_create(SIGINT, on_quit_signal, this, true);
    sigterm_ = poller_->signal_create(SIGTERM, on_quit_signal, this, true);
  }
  tls_loop = this;
}

Loop::~Loop() {
  close_remote();
  workers_.reset();
  for (unsigned i = static_cast<unsigned>(ExtSlot::count); i-- > 0;) ext_[i].reset();
  if (sigquit_ != nullptr) {
    poller_->signal_destroy(sigquit_);
    ::sigaction(SIGQUIT, &saved_sigquit_, nullptr);
  }
  if (sigint_ != nullptr) {
    poller_->signal_destroy(sigterm_);
    poller_->signal_destroy(sigint_);
    ::sigaction(SIGINT, &saved_sigint_, nullptr);  // what the program had before dispatch()
    ::sigaction(SIGTERM, &saved_sigterm_, nullptr);
  }
  poller_.reset();
  tls_loop = previous_;
}

void Loop::close_remote() noexcept {
  std::vector<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(remote_->mu);
    remote_->poller = nullptr;
    dropped.swap(remote_->queue);
  }
  if (group_ != nullptr && !dropped.empty()) group_->release(dropped.size());
  // `dropped` is destroyed here, outside the lock.
}

void Loop::join_group(LoopGroup& group, std::size_t index) noexcept {
  group_ = &group;
  index_ = index;
  remote_->group = &group;
  remote_->index = index;
  group.set_remote(index, remote_);
}

bool Loop::keep_running() noexcept {
  if (quit_) return false;
  if (group_ == nullptr) return live_nondaemon_ > 0;
  if (group_->quit_requested()) {
    quit(group_->quit_code());
    return false;
  }
  if (live_nondaemon_ > 0) {
    if (idle_) {  // work came (a posted function already took a token)
      idle_ = false;
      group_->take();
    }
    return true;
  }
  if (!idle_) {
    idle_ = true;
    group_->release();
  }
  return !group_->done();
}

WorkerPool& Loop::workers() {
  if (!workers_) {
    std::size_t n = std::max<std::size_t>(4, std::thread::hardware_concurrency());
    workers_ = std::make_unique<WorkerPool>(remote_, n);
  }
  return *workers_;
}

// ---------------------------------------------------------------- scheduling

void Loop::add_fiber(Fiber& f) {
  runq_.reserve(live_.size() + 2);  // may throw: nothing changed yet
  f.loop = this;
  f.state = FiberState::created;
  live_.push_back(f);
  if (!f.daemon) ++live_nondaemon_;
  runq_.push_back(f);
}

void Loop::set_daemon(Fiber& f, bool daemon) noexcept {
  if (f.daemon == daemon) return;
  if (f.state != FiberState::finished) {
    if (daemon) --live_nondaemon_; else ++live_nondaemon_;
  }
  f.daemon = daemon;
}

Fiber* Loop::pick_next_slow() noexcept {
  // ticks_left_ was already counted down by pick_next().
  if (quit_) {
    set_quit();  // keep it far below zero however long the teardown runs
    return &main_;
  }
  if (ticks_left_ <= 0) {
    if (runq_.empty() || real_clock_ns() - last_poll_ns_ >= kPollIntervalNs) return &main_;
    ticks_left_ = kPollEvery;  // polled very recently: keep switching
  }
  for (;;) {
    Fiber* f = take_next();
    if (f == nullptr) return &main_;
    if (f->state != FiberState::created || start(*f)) return f;
    // start() failed and finished the fiber with its error: try the next one.
  }
}

void Loop::exit_current() noexcept {
  Fiber* self = current_;
  self->state = FiberState::finished;
  timers_.disarm(self->timer);  // a lazy park deadline (see park_on) must not outlive the fiber
  self->reset_after_life();
  live_.remove(*self);
  if (!self->daemon) --live_nondaemon_;
  leave_stack();
}

void Loop::leave_stack() noexcept {
  Fiber* self = current_;
  Fiber* next;
  if (self->killer != nullptr) {
    next = self->killer;
    self->killer = nullptr;
  } else {
    next = pick_next();
  }
  if (self->canary != nullptr) check_stack(*self);
  beat();
  zombie_ = self;  // its stack goes back after the switch (reap_zombie)
  next->state = FiberState::running;
  current_ = next;
  exit_context(self->ctx, next->ctx);
}

void Loop::reap_zombie() noexcept {
  Fiber* z = zombie_;
  zombie_ = nullptr;
  if (z->resting) {
    release_stack(*z);
  } else {
    release(*z);
  }
}

bool Loop::start(Fiber& f) noexcept {
  if (!stacks_.take_hot(f.stack_request, f.stack) && !acquire_stack(f)) return false;
  make_context(f.ctx, f.stack.base, f.stack.coloured_size(), &fiber_entry, &f);
  f.canary = f.stack.canary;
  return true;
}

bool Loop::acquire_stack(Fiber& f) noexcept {
  try {
    f.stack = stacks_.acquire(f.stack_request);
  } catch (...) {
    std::exception_ptr error = std::current_exception();
    char name[256];
    const std::size_t n = hooks_.describe(f, name, sizeof name);
    try {
      weft::log(LogLevel::error, "no stack for " + std::string(name, n) + ": " +
                                     describe_current_exception());
    } catch (...) {  // out of memory while logging: the error is still the result
    }
    hooks_.finish_unrun(f, std::move(error));
    finish_unstarted(f);
    release(f);
    return false;
  }
  return true;
}

void Loop::fiber_entry(void* arg) noexcept {
  auto& f = *static_cast<Fiber*>(arg);
  Loop& loop = *tls_loop;
  loop.after_switch();
  loop.hooks_.run(f);
  if (f.resting) loop.rest_current();
  loop.exit_current();
}

void Loop::rest_current() noexcept {
  Fiber* self = current_;
  self->state = FiberState::parked;
  self->wake = Wake::none;
  leave_stack();  // resting: reap_zombie gives back only its stack
}

void Loop::release_stack(Fiber& f) noexcept {
  if (f.stack.base != nullptr) {
    stacks_.release(f.stack);
    f.stack.base = nullptr;  // (the other fields are read only with a base)
    f.canary = nullptr;
  }
}

void Loop::release(Fiber& f) noexcept {
  release_stack(f);
  hooks_.release(f);
}

void Loop::finish_unstarted(Fiber& f) noexcept {
  f.state = FiberState::finished;
  timers_.disarm(f.timer);  // a resting fiber's lazy deadline (see rest_on)
  f.reset_after_life();
  live_.remove(f);
  if (!f.daemon) --live_nondaemon_;
}

void Loop::kill(Fiber& v) {
  switch (v.state) {
    case FiberState::finished:
      return;
    case FiberState::created:
      runq_.remove(v);
      hooks_.finish_unrun(v, std::make_exception_ptr(TaskletExit{}));
      finish_unstarted(v);
      release(v);
      return;
    case FiberState::running:
      throw TaskletExit{};  // v is the caller itself
    case FiberState::runnable:
    case FiberState::parked:
      break;
  }
  if (v.resting) {  // no stack to unwind: it ends as one that never ran
    v.resting = false;
    hooks_.finish_unrun(v, std::make_exception_ptr(TaskletExit{}));
    finish_unstarted(v);
    release(v);
    return;
  }
  if (v.uninterruptible) {  // v is itself inside kill(): deliver at its next park
    v.kill_pending = true;
    return;
  }
  if (v.state == FiberState::parked) {
    timers_.disarm(v.timer);
  } else {
    runq_.remove(v);
  }
  v.wake = Wake::killed;
  v.kill_pending = false;
  Fiber* self = current_;
  v.killer = self;
  self->state = FiberState::parked;
  const bool shielded = self->uninterruptible;
  self->uninterruptible = true;
  switch_to(v);  // back here once v has unwound, or parked again
  self->uninterruptible = shielded;
}

// Out of line: only unguarded stacks pay for the call. The addresses are
// compared as integers (the probe and the stack are different objects).
void Loop::check_stack_pointer(const Fiber& f) const noexcept {
  char probe = 0;
  const auto sp = reinterpret_cast<std::uintptr_t>(&probe);
  if (sp < reinterpret_cast<std::uintptr_t>(f.canary + kCanaryBytes)) report_stack_overflow(f);
}

// The canary is outside every stack: ASan must not judge reading it.
__attribute__((no_sanitize_address)) void Loop::check_stack(const Fiber& f) const noexcept {
  check_stack_pointer(f);
  // Eight words a round: the compiler makes it four vector loads, not one.
  const auto* words = reinterpret_cast<const std::uint64_t*>(f.canary);
  std::uint64_t any[8] = {};
  for (std::size_t i = 0; i < kCanaryBytes / sizeof(std::uint64_t); i += 8) {
    for (std::size_t k = 0; k < 8; ++k) any[k] |= words[i + k];
  }
  if ((any[0] | any[1] | any[2] | any[3] | any[4] | any[5] | any[6] | any[7]) != 0) {
    report_stack_overflow(f);
  }
}

void report_stack_overflow(const Fiber& f) noexcept {
  char buf[512];
  std::size_t n = 0;
  auto put = [&](const char* s) {
    while (*s != 0 && n < sizeof buf - 1) buf[n++] = *s++;
  };
  put("weft: stack overflow in ");
  Loop* loop = current_loop();
  if (loop != nullptr && loop->hooks().describe != nullptr) {
    n += loop->hooks().describe(f, buf + n, sizeof buf - 1 - n);
  } else {
    put("a tasklet");
  }
  put("\n");
  ssize_t ignored = ::write(STDERR_FILENO, buf, n);
  (void)ignored;
  std::abort();
}

// ---------------------------------------------------------------- the loop

void Loop::quit(int code) noexcept {
  if (quit_) return;
  set_quit();
  exit_code_ = code;
  poller_->wakeup();
  if (group_ != nullptr) group_->quit(code);  // every loop of the group quits with it
}

int Loop::run() {
  struct StopWatchdog {  // before the teardown: killing what is left is not a hold
    std::unique_ptr<Watchdog>& w;
    ~StopWatchdog() { w.reset(); }
  };
  {
  StopWatchdog stop{watchdog_};
  while (keep_running()) {
    poll_once(runq_.empty());
    fire_timers();
    ticks_left_ = kPollEvery;
    if (quit_) break;
    Fiber* f = take_next();
    if (f == nullptr) continue;
    if (f->state == FiberState::created && !start(*f)) continue;
    switch_to(*f);
  }
  }
  timers_.disarm(linger_.node);
  teardown();
  return exit_code_;
}

void Loop::poll_once(bool block) {
  struct Stamp {  // when the poll ended: pick_next_slow's interval (real time), parks' stamps
    Loop& loop;
    ~Stamp() {
      const std::int64_t now = real_clock_ns();  // one reading for both
      loop.last_poll_ns_ = now;
      loop.coarse_now_ =
          static_cast<std::uint32_t>((loop.virtual_time_ ? loop.virtual_now_ : now) >> kCoarseShift);
      loop.pulse_.polling.store(false, std::memory_order_relaxed);
    }
  } stamp{*this};
  ++counters_.polls;
  std::int64_t wait = 0;
  if (block) {
    bool more = stacks_.trim(kTrimStacks);
    if (hooks_.idle != nullptr) more |= hooks_.idle();
    if (more) block = false;
  }
  if (block && virtual_time_ && poll_virtual()) return;
  if (block) {
    if (TimerNode* t = timers_.top()) {
      wait = std::max<std::int64_t>(0, t->deadline - clock_ns());
      if (t == &linger_.node && timers_.size() == 1) check_deadlock();
    } else {
      wait = INT64_MAX;
      check_deadlock();
    }
  }
  if (quit_) wait = 0;  // a report's handler may have called quit()
  if (wait != 0) pulse_.polling.store(true, std::memory_order_relaxed);
  poller_->poll(wait);
}

// Nothing is runnable. Looks for IO and posts without waiting; when there are
// none and no to_thread job runs, the clock jumps to the next deadline (and
// fire_timers, next, fires it). Returns false when the loop must wait for
// real: a to_thread job runs (its result is awaited with the clock standing
// still), or nothing at all is scheduled (only IO or a post can wake it).
bool Loop::poll_virtual() {
  poller_->poll(0);
  if (!runq_.empty() || quit_) return true;
  if (workers_ && workers_->busy() > 0) return false;
  TimerNode* t = timers_.top();
  if (t == nullptr) return false;
  if (t->deadline > virtual_now_) virtual_now_ = t->deadline;
  return true;
}

void Loop::fire_timers() noexcept {
  if (timers_.empty()) return;
  const std::int64_t now = clock_ns();
  // Only what was armed before this round: a callback that re-arms for a time
  // already passed fires in the next round, not in an endless loop here.
  const std::uint64_t limit = timers_.next_seq();
  while (TimerNode* n = timers_.pop_expired(now, limit)) {
    ++counters_.timers_fired;
    n->fire(*n);
  }
}

void Loop::check_deadlock() noexcept {
  if (deadlock_reported_ || quit_ || live_nondaemon_ == 0 || hooks_.report == nullptr) return;
  // What could still wake a parked tasklet: an fd or signal wait or a Timer
  // (live watchers), a post or a message from another thread (someone else
  // holds the door: a LoopRef, an Address, a worker with a job).
  if (counters_.live_watchers != 0) return;
  if (remote_.use_count() > 1 + (workers_ ? 1 : 0)) return;
  for (const Fiber* f = live_.front(); f != nullptr; f = f->live_next) {
    if (f->state == FiberState::parked && f->wait_kind == WaitKind::to_thread) return;
  }
  deadlock_reported_ = true;
  hooks_.report(Report::deadlock, 0);
}

void Loop::main_finished() noexcept {
  main_done_ = true;
  // main, ending, is still counted.
  const std::size_t others = live_nondaemon_ - (current_->daemon ? 0 : 1);
  if (others == 0 || quit_ || hooks_.report == nullptr) return;
  hooks_.report(Report::main_returned, 0);
  if (linger_delay_ns_ >= 0) {
    try {
      timers_.arm(linger_.node, clock_ns() + linger_delay_ns_);
    } catch (...) {  // no room in the heap: no later report
    }
  }
}

void Loop::on_linger(TimerNode& n) noexcept {
  Loop& loop = *reinterpret_cast<LingerTimer*>(&n)->loop;
  if (loop.live_nondaemon_ > 0 && !loop.quit_) loop.hooks_.report(Report::main_lingers, 0);
}

void Loop::dump_on_sigquit() {
  if (sigquit_ != nullptr) return;
  ::sigaction(SIGQUIT, nullptr, &saved_sigquit_);
  sigquit_ = poller_->signal_create(SIGQUIT, on_sigquit, this, true);
}

void Loop::start_watchdog(std::int64_t threshold_ns) {
  watchdog_ = std::make_unique<Watchdog>(*this, threshold_ns);
}

std::int64_t Loop::max_run_ns() const noexcept {
  return pulse_.max_run_ns.load(std::memory_order_relaxed);
}

void Loop::drain_remote() noexcept {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(remote_->mu);
    batch.swap(remote_->queue);
  }
  for (auto& f : batch) {
    try {
      f();
    } catch (...) {
      weft::log(LogLevel::error,
                "exception escaped a function posted to the loop: " + describe_current_exception());
    }
  }
  if (group_ != nullptr && !batch.empty()) {
    if (idle_ && live_nondaemon_ > 0) {  // busy again before the tokens go
      idle_ = false;
      group_->take();
    }
    const std::size_t n = batch.size();
    batch.clear();  // the functions' captures go before the work they carried is released
    group_->release(n);
  }
}

void Loop::teardown() noexcept {
  set_quit();  // from here on every park hands control straight back
  // Kill newest first, so that children unwind before their parents. A fiber
  // that catches TaskletExit and parks again gets another round.
  for (std::uint8_t round = 1; round <= 3 && !live_.empty(); ++round) {
    Fiber* f = live_.back();
    while (f != nullptr) {
      if (f->teardown_round == round) {
        f = f->live_prev;
        continue;
      }
      f->teardown_round = round;
      if (f->uninterruptible && f->state == FiberState::runnable) {
        // Shielded (e.g. a TaskGroup destructor whose members just died): let
        // it run to its next park; the kill is delivered after the shield.
        f->kill_pending = true;
        runq_.remove(*f);
        f->killer = &main_;
        main_.state = FiberState::parked;
        switch_to(*f);
      } else {
        try {
          kill(*f);
        } catch (...) {  // kill() throws only for the running fiber, never the loop's own
        }
      }
      f = live_.back();
    }
  }
  if (live_.empty()) return;
  // Releasing their stacks would leave dangling wait-list nodes behind; they
  // are leaked instead (the stack pool keeps its mappings while stacks are in use).
  weft::log(LogLevel::error, std::to_string(live_.size()) +
                                 " tasklet(s) survived three kills at exit; they are leaked");
}

}  // namespace weft::detail
