#pragma once
// Template bodies of tasklet.hpp, which includes this file at its end: not a
// header of its own (include tasklet.hpp).

#include <chrono>
#include <new>
#include <stdexcept>

#include "weft/tasklet/detail/spawn.hpp"
#include "weft/tasklet/join_error.hpp"
#include "weft/tasklet/outcome.hpp"

namespace weft {

namespace detail {

// `options` (its name moved out) or nullptr for the defaults.
template <class F>
auto spawn_with_type(F&& f, SpawnOptions* options, const std::type_info& named_after) {
  using Body = BodyImpl<std::decay_t<F>, result_t<F>>;
  const NewTasklet place = allocate_tasklet(sizeof(Body), alignof(Body));
  Body* body;
  try {
    body = new (place.body) Body(std::forward<F>(f));
  } catch (...) {
    discard_tasklet(place.record);
    throw;
  }
  return TaskletOf<result_t<F>>(
      AdoptTag{}, start_tasklet(place.record, body, options, named_after));
}

// The result of finished, successful r as an R (copied, or moved out when
// R is move-only). Throws std::logic_error on a type mismatch or a second take.
template <class R>
R take_value(TaskletRecord& r) {
  if constexpr (std::is_void_v<R>) {
    return;
  } else {
    TaskletBody& b = body_of(r);
    if constexpr (std::is_same_v<R, std::any>) {
      if (b.value_type() == typeid(std::any)) {
        if (auto* p = static_cast<std::any*>(b.value_ptr(typeid(std::any)))) return *p;
        throw_value_taken(r);
      }
      return b.value_any();
    } else {
      R* p = static_cast<R*>(b.value_ptr(typeid(R)));
      if (p == nullptr) {
        if (b.value_type() != typeid(R)) throw_type_mismatch(r, typeid(R));
        throw_value_taken(r);
      }
      if constexpr (std::is_copy_constructible_v<R>) {
        return *p;
      } else {
        R v = std::move(*p);
        b.drop_value();
        return v;
      }
    }
  }
}

// take_value for a typed handle, whose record's body is a ValueBody<R> (it
// was spawned with a callable returning R): no type to check.
template <class R>
R take_own_value(TaskletRecord& r) {
  if constexpr (std::is_void_v<R>) {
    return;
  } else {
    auto& b = static_cast<ValueBody<R>&>(body_of(r));
    if (!b.result.has_value()) throw_value_taken(r);
    if constexpr (std::is_copy_constructible_v<R>) {
      return *b.result;
    } else {
      R v = std::move(*b.result);
      b.result.reset();
      return v;
    }
  }
}

// Calls fn(); logs an exception (TaskletExit passes through). True on success.
template <class Fn>
bool call_logged(Fn& fn, const char* helper) {
  try {
    fn();
    return true;
  } catch (const TaskletExit&) {
    throw;
  } catch (...) {
    log_helper_failure(helper);
    return false;
  }
}

}  // namespace detail

template <class F>
auto Tasklet::spawn(F&& f) -> TaskletOf<detail::result_t<F>> {
  return detail::spawn_with_type(std::forward<F>(f), nullptr, typeid(std::decay_t<F>));
}

template <class F>
auto Tasklet::spawn(F&& f, SpawnOptions options) -> TaskletOf<detail::result_t<F>> {
  return detail::spawn_with_type(std::forward<F>(f), &options, typeid(std::decay_t<F>));
}

template <class F>
auto Tasklet::later(Timeout delay, F&& f, SpawnOptions options)
    -> TaskletOf<detail::result_t<F>> {
  using R = detail::result_t<F>;
  return detail::spawn_with_type(
      [delay, fn = std::decay_t<F>(std::forward<F>(f)), slept = false]() mutable -> R {
        if constexpr (std::is_void_v<R>) {
          // The delay without a stack (see rest_sleep); this body runs again after it.
          if (!slept) {
            slept = true;
            if (detail::rest_sleep(delay)) return;
          }
        } else {
          Tasklet::sleep(delay);  // a value to return: it waits on its stack
        }
        return fn();
      },
      &options, typeid(std::decay_t<F>));
}

template <class F>
Tasklet Tasklet::interval(Timeout period, F&& f, bool immediate, SpawnOptions options) {
  return detail::spawn_with_type(
      [period, immediate, fn = std::decay_t<F>(std::forward<F>(f)), started = false]() mutable {
        // Between ticks no frame of fn is on the stack: the tasklet rests and
        // this body runs again, for the next tick, when the period has passed.
        if (started || immediate) detail::call_logged(fn, "interval");
        started = true;
        for (;;) {
          if (detail::rest_sleep(period)) return;
          detail::call_logged(fn, "interval");
        }
      },
      &options, typeid(std::decay_t<F>));
}

template <class F>
Tasklet Tasklet::loop(F&& f, SpawnOptions options) {
  return detail::spawn_with_type(
      [fn = std::decay_t<F>(std::forward<F>(f))]() mutable {
        for (;;) {
          if (detail::call_logged(fn, "loop")) {
            Tasklet::yield_();
          } else {
            Tasklet::sleep(1.0);  // back-off after a failure, as Concurrence does
          }
        }
      },
      &options, typeid(std::decay_t<F>));
}

template <class F>
Tasklet Tasklet::rate(double per_second, F&& f, SpawnOptions options) {
  if (!(per_second > 0)) throw std::invalid_argument("weft: Tasklet::rate needs a rate > 0");
  return detail::spawn_with_type(
      [per_second, fn = std::decay_t<F>(std::forward<F>(f)), started = false, sleep_for = 0.0,
       last = Clock::time_point{}]() mutable {
        using Seconds = std::chrono::duration<double>;
        // Concurrence's adaptive interval: steer the sleep by the measured period.
        // Between ticks the tasklet rests (no stack); this body runs again for
        // the next tick, its state kept in the captures.
        const double target = 1.0 / per_second;
        const double min_sleep = 0.5 * target;
        const double max_sleep = 1.5 * target;
        bool woken = started;
        if (!started) {
          started = true;
          sleep_for = target;
          last = weft::now();
        }
        for (;;) {
          if (!woken && detail::rest_sleep(Seconds(sleep_for))) return;
          woken = false;
          const Clock::time_point t = weft::now();
          const double actual = std::chrono::duration_cast<Seconds>(t - last).count();
          last = t;
          const double next = sleep_for - (actual - target);
          sleep_for = 0.8 * sleep_for + 0.2 * next;
          if (sleep_for > max_sleep) sleep_for = max_sleep;
          if (sleep_for < min_sleep) sleep_for = min_sleep;
          auto call = [&] { fn(t); };
          detail::call_logged(call, "rate");
        }
      },
      &options, typeid(std::decay_t<F>));
}

template <class R>
R Tasklet::join(const TaskletOf<R>& t, Timeout timeout) {
  return t.join(timeout);
}

template <class R>
R TaskletOf<R>::join(Timeout timeout) const {
  detail::TaskletRecord& r = rec();
  detail::join_wait(r, timeout);
  return detail::take_own_value<R>(r);
}

namespace detail {

template <class R, class Handles>
std::vector<Outcome<R>> collect_outcomes(const Handles& ts, Timeout timeout) {
  std::vector<TaskletRecord*> records;
  records.reserve(ts.size());
  for (const Tasklet& t : ts) {
    if (!t) throw std::logic_error("weft: join_all of an empty Tasklet handle");
    records.push_back(t.record());
  }
  join_all_wait(records.data(), records.size(), timeout);
  std::vector<Outcome<R>> out;
  out.reserve(ts.size());
  for (const Tasklet& t : ts) {
    TaskletRecord& r = *t.record();
    if (take_failure(r)) {
      out.emplace_back(make_join_error(r));
    } else {
      if constexpr (std::is_void_v<R>) {
        out.emplace_back();
      } else {
        out.emplace_back(take_value<R>(r));
      }
    }
  }
  return out;
}

}  // namespace detail

template <class R>
std::vector<Outcome<R>> Tasklet::join_all(const std::vector<TaskletOf<R>>& ts, Timeout timeout) {
  return detail::collect_outcomes<R>(ts, timeout);
}

template <class R>
std::vector<Outcome<R>> Tasklet::join_children(Timeout timeout) {
  return detail::collect_outcomes<R>(current().children(), timeout);
}

}  // namespace weft
