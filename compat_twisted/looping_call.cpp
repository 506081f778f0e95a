#include "compat_twisted/looping_call.hpp"

#include <cmath>
#include <stdexcept>

namespace weft::twisted {

struct LoopingCall::State : std::enable_shared_from_this<LoopingCall::State> {
  IReactorTime* clock = nullptr;
  std::function<Deferred()> f;
  std::optional<DelayedCall> call;
  std::optional<Deferred> deferred;
  double interval = 0;
  double starttime = 0;
  bool running = false;
  bool runAtStart = false;
  std::optional<double> realLastTime;  // withCount's last real call

  void tick();
  void scheduleFrom(double when);
  long intervalOf(double t) const {
    return static_cast<long>((t - starttime) / interval);  // int() truncates toward zero
  }
};

namespace {

// Python's float %: the result takes the divisor's sign.
double py_mod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0) {
    if ((b < 0) != (m < 0)) m += b;
  } else {
    m = std::copysign(0.0, b);
  }
  return m;
}

}  // namespace

void LoopingCall::State::tick() {
  call.reset();
  Deferred d = f();
  std::shared_ptr<State> self = shared_from_this();
  d.addCallback([self](Result&) {
    if (self->running) {
      self->scheduleFrom(self->clock->seconds());
    } else {
      Deferred done = std::move(*self->deferred);
      self->deferred.reset();
      done.callback(LoopingCall(self));
    }
  });
  d.addErrback([self](const Failure& failure) {
    self->running = false;
    Deferred done = std::move(*self->deferred);
    self->deferred.reset();
    done.errback(failure);
  });
}

void LoopingCall::State::scheduleFrom(double when) {
  double howLong;
  if (interval == 0) {
    howLong = 0;
  } else {
    const double runningFor = when - starttime;
    const double untilNextInterval = interval - py_mod(runningFor, interval);
    // A step too small to change `when` means the next grid point is due now.
    howLong = when == when + untilNextInterval ? interval : untilNextInterval;
  }
  std::shared_ptr<State> self = shared_from_this();
  call = clock->callLater(howLong, [self] { self->tick(); });
}

LoopingCall::LoopingCall(IReactorTime& clock, std::function<Deferred()> call)
    : s_(std::make_shared<State>()) {
  s_->clock = &clock;
  s_->f = std::move(call);
}

LoopingCall LoopingCall::withCountImpl(IReactorTime& clock, std::function<Deferred(long)> f) {
  LoopingCall lc(clock, std::function<Deferred()>());
  std::weak_ptr<State> weak = lc.s_;
  lc.s_->f = [weak, f = std::move(f)]() -> Deferred {
    std::shared_ptr<State> self = weak.lock();
    const double now = self->clock->seconds();
    if (self->interval == 0) {
      self->realLastTime = now;
      return f(1);
    }
    double lastTime;
    if (self->realLastTime) {
      lastTime = *self->realLastTime;
    } else {
      lastTime = self->starttime;
      if (self->runAtStart) lastTime -= self->interval;
    }
    const long count = self->intervalOf(now) - self->intervalOf(lastTime);
    if (count > 0) {
      self->realLastTime = now;
      return f(count);
    }
    Deferred none;
    none.callback();
    return none;
  };
  return lc;
}

Deferred LoopingCall::start(double interval, bool now) {
  State& s = *s_;
  if (s.running) throw std::logic_error("weft::twisted: tried to start an already running LoopingCall");
  if (interval < 0) throw std::invalid_argument("weft::twisted: LoopingCall interval must be >= 0");
  s.running = true;
  Deferred deferred;
  s.deferred = deferred;
  s.starttime = s.clock->seconds();
  s.interval = interval;
  s.runAtStart = now;
  if (now) {
    s.tick();
  } else {
    s.scheduleFrom(s.starttime);
  }
  return deferred;
}

void LoopingCall::stop() {
  State& s = *s_;
  if (!s.running) throw std::logic_error("weft::twisted: tried to stop a LoopingCall that was not running");
  s.running = false;
  if (s.call) {
    DelayedCall c = *s.call;
    s.call.reset();
    c.cancel();
    Deferred done = std::move(*s.deferred);
    s.deferred.reset();
    done.callback(*this);
  }
}

void LoopingCall::reset() {
  State& s = *s_;
  if (!s.running) throw std::logic_error("weft::twisted: tried to reset a LoopingCall that was not running");
  if (s.call) {
    DelayedCall c = *s.call;
    s.call.reset();
    c.cancel();
    s.starttime = s.clock->seconds();
    s.scheduleFrom(s.starttime);
  }
}

bool LoopingCall::running() const noexcept { return s_->running; }

std::optional<Deferred> LoopingCall::deferred() const { return s_->deferred; }

IReactorTime& LoopingCall::clock() const noexcept { return *s_->clock; }

void LoopingCall::setClock(IReactorTime& clock) {
  if (s_->running) throw std::logic_error("weft::twisted: setClock() of a running LoopingCall");
  s_->clock = &clock;
}

double LoopingCall::interval() const noexcept { return s_->interval; }

double LoopingCall::starttime() const noexcept { return s_->starttime; }

std::optional<DelayedCall> LoopingCall::call() const { return s_->call; }

}  // namespace weft::twisted
