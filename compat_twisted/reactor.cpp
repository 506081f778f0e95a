#include "compat_twisted/reactor.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "compat_twisted/detail/call_list.hpp"
#include "compat_twisted/errors.hpp"
#include "sched/log.hpp"
#include "sched/extension.hpp"
#include "sched/park.hpp"
#include "sched/timer.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/tasklet.hpp"

namespace weft::twisted {

namespace {

double loop_seconds() {
  return std::chrono::duration<double>(weft::now().time_since_epoch()).count();
}

void call_logged(const std::function<void()>& f, const char* what) {
  try {
    f();
  } catch (const TaskletExit&) {
    throw;
  } catch (...) {
    weft::log(LogLevel::error,
              std::string("weft::twisted: ") + what + " raised: " + describe_current_exception());
  }
}

}  // namespace

struct Reactor::Impl : std::enable_shared_from_this<Impl> {
  enum class State { idle, running, stopping, stopped };

  detail::CallList calls;
  Timer timer;
  bool runner_pending = false;
  State state = State::idle;
  WaitList run_waiters;
  std::vector<std::function<void()>> when_running;
  std::vector<std::function<void()>> shutdown[3];  // before, during, after

  void rearm() {
    std::optional<DelayedCall> next = calls.front();
    if (!next) {
      timer.cancel();
      return;
    }
    const double wait = next->getTime() - loop_seconds();
    const auto ns = std::chrono::nanoseconds(
        wait <= 0 ? 0 : static_cast<std::int64_t>(std::ceil(std::min(wait, 1e9) * 1e9)));
    std::weak_ptr<Impl> weak = weak_from_this();
    timer.start(ns, [weak] {
      if (std::shared_ptr<Impl> self = weak.lock()) self->spawn_runner();
    });
  }

  void spawn_runner() {
    if (runner_pending) return;
    runner_pending = true;
    SpawnOptions o;
    o.name = "twisted-reactor";
    o.daemon = true;
    Tasklet::spawn([self = shared_from_this()] { self->run_due(); }, std::move(o));
  }

  void run_due() {
    struct Done {
      Impl* impl;
      ~Done() { impl->runner_pending = false; }
    } done{this};
    while (std::optional<DelayedCall> call = calls.front()) {
      if (call->getTime() > loop_seconds()) break;
      calls.pop_front();
      call_logged([&] { call->invoke(); }, "a reactor call");
    }
  }
};

namespace {

// A Reactor's calls are timers on this thread's loop: there must be one.
void require_reactor_loop() {
  if (weft::detail::current_loop() == nullptr) {
    throw std::logic_error(
        "weft::twisted: a Reactor was created outside dispatch(); it runs on the weft loop. "
        "Let react(main) make one and run the loop (it works from plain main()), or create "
        "the Reactor inside weft::dispatch([] { ... })");
  }
}

}  // namespace

Reactor::Reactor() : impl_((require_reactor_loop(), std::make_shared<Impl>())) {
  std::weak_ptr<Impl> weak = impl_;
  impl_->calls.on_change = [weak] {
    if (std::shared_ptr<Impl> self = weak.lock()) self->rearm();
  };
}

Reactor::~Reactor() {
  impl_->calls.on_change = nullptr;
  impl_->calls.clear();
  impl_->timer.cancel();
}

double Reactor::seconds() const { return loop_seconds(); }

std::vector<DelayedCall> Reactor::getDelayedCalls() const {
  impl_->calls.sort();
  return impl_->calls.snapshot();
}

DelayedCall Reactor::scheduleCall(double delay, std::function<void()> f) {
  std::weak_ptr<Impl> weak = impl_;
  return impl_->calls.add(
      loop_seconds() + delay, std::move(f), {}, [] { return loop_seconds(); });
}

void Reactor::scheduleWhenRunning(std::function<void()> f) {
  if (impl_->state == Impl::State::running) {
    call_logged(f, "a callWhenRunning call");
  } else {
    impl_->when_running.push_back(std::move(f));
  }
}

void Reactor::addSystemEventTrigger(const std::string& phase, const std::string& eventType,
                                    std::function<void()> f) {
  if (eventType != "shutdown") {
    throw std::invalid_argument("weft::twisted: the Reactor knows only the \"shutdown\" event, not \"" +
                                eventType + "\"");
  }
  int i = phase == "before" ? 0 : phase == "during" ? 1 : phase == "after" ? 2 : -1;
  if (i < 0) {
    throw std::invalid_argument("weft::twisted: system event phase must be \"before\", \"during\" "
                                "or \"after\", not \"" + phase + "\"");
  }
  impl_->shutdown[i].push_back(std::move(f));
}

void Reactor::run() {
  Impl& s = *impl_;
  if (s.state != Impl::State::idle) throw ReactorNotRestartable();
  const Deadline forever = Deadline::from(weft::never);  // throws NotInTasklet outside one
  std::shared_ptr<Impl> keep = impl_;
  s.state = Impl::State::running;
  std::vector<std::function<void()>> startup = std::move(s.when_running);
  s.when_running.clear();
  for (auto& f : startup) call_logged(f, "a callWhenRunning call");
  while (s.state == Impl::State::running) {
    if (s.run_waiters.wait(forever) == Wake::killed) {
      s.state = Impl::State::stopped;
      throw TaskletExit{};
    }
  }
  for (auto& phase : s.shutdown) {
    std::vector<std::function<void()>> triggers = std::move(phase);
    phase.clear();
    for (auto& f : triggers) call_logged(f, "a shutdown trigger");
  }
  s.state = Impl::State::stopped;
}

void Reactor::stop() {
  if (impl_->state != Impl::State::running) throw ReactorNotRunning();
  impl_->state = Impl::State::stopping;
  impl_->run_waiters.notify_all();
}

bool Reactor::running() const { return impl_->state == Impl::State::running; }

}  // namespace weft::twisted
