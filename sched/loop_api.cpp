#include <mutex>
#include <stdexcept>
#include <string>

#include "sched/detail/loop.hpp"
#include "sched/detail/loop_group.hpp"
#include "sched/detail/remote.hpp"
#include "sched/extension.hpp"
#include "sched/loop.hpp"

namespace weft {

namespace detail {

Loop& require_loop(std::string_view what) {
  Loop* loop = tls_loop;
  if (__builtin_expect(loop == nullptr, 0)) {
    throw std::logic_error("weft: " + std::string(what) + " needs a running loop (dispatch())");
  }
  return *loop;
}

std::unique_ptr<LoopExtension>& loop_slot(Loop& loop, ExtSlot s) noexcept { return loop.ext(s); }

void configure(Loop& loop, const LoopSetup& setup, bool sigquit) {
  loop.set_virtual_time(setup.virtual_time);
  loop.set_schedule_seed(setup.schedule_seed);
  loop.set_log_level(setup.log_level);
  loop.set_linger_report(setup.linger_report_ns);
  if (sigquit) loop.dump_on_sigquit();
  if (setup.blocked_threshold_ns > 0) loop.start_watchdog(setup.blocked_threshold_ns);
}

int run_loop(const LoopHooks& hooks, const LoopSetup& setup, void (*start)(void*), void* ctx,
             LoopStats* stats_at_exit) {
  Loop loop(hooks, setup.log, setup.handle_signals, setup.default_stack);
  configure(loop, setup, setup.dump_on_sigquit);
  start(ctx);
  const int code = loop.run();
  if (stats_at_exit != nullptr) *stats_at_exit = loop_stats();
  return code;
}

void add_fiber(Fiber& f) { tls_loop->add_fiber(f); }

void kill_fiber(Fiber& f) { tls_loop->kill(f); }

void set_exit_code(int code) noexcept {
  if (Loop* loop = tls_loop) loop->set_exit_code(code);
}

}  // namespace detail

void quit(int code) { detail::require_loop("quit()").quit(code); }

LoopRef this_loop() { return LoopRef(detail::require_loop("this_loop()").remote()); }

std::size_t loop_index() { return detail::require_loop("loop_index()").index(); }

std::size_t loop_count() {
  detail::LoopGroup* g = detail::require_loop("loop_count()").group();
  return g == nullptr ? 1 : g->size();
}

LoopRef loop_at(std::size_t index) {
  detail::Loop& loop = detail::require_loop("loop_at()");
  const std::size_t n = loop.group() == nullptr ? 1 : loop.group()->size();
  if (index >= n) {
    throw std::out_of_range("weft: loop_at(" + std::to_string(index) + "): there are " +
                            std::to_string(n) + " loop(s)");
  }
  return LoopRef(loop.group() == nullptr ? loop.remote() : loop.group()->remote(index));
}

LoopStats loop_stats() {
  detail::Loop& loop = detail::require_loop("loop_stats()");
  LoopStats s;
  s.live_tasklets = loop.live_fibers();
  s.runnable = loop.runnable();
  s.live_watchers = loop.counters().live_watchers;
  s.pending_timers = loop.timers().count_if(&detail::deadline_pending);
  s.switches = loop.pulse().switches.load(std::memory_order_relaxed);
  s.polls = loop.counters().polls;
  s.timers_fired = loop.counters().timers_fired;
  s.max_run_ns = loop.max_run_ns();
  s.live_stacks = loop.stacks().live();
  s.pooled_stacks = loop.stacks().pooled();
  s.guarded_stacks = loop.stacks().guarded();
  for (unsigned i = 0; i < static_cast<unsigned>(detail::ExtSlot::count); ++i) {
    if (const auto& ext = loop.ext(static_cast<detail::ExtSlot>(i))) ext->add_stats(s);
  }
  return s;
}

bool LoopRef::post(std::function<void()> f) const {
  if (!remote_) return false;
  return remote_->post(std::move(f));
}

std::size_t LoopRef::index() const noexcept { return remote_ ? remote_->index : 0; }

bool LoopRef::alive() const {
  if (!remote_) return false;
  std::lock_guard<std::mutex> lock(remote_->mu);
  return remote_->poller != nullptr;
}

}  // namespace weft
