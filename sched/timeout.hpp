#pragma once
// Timeouts and deadline scopes (Concurrence's Timeout.push / Timeout.current).
//
// Every blocking call takes a Timeout: a std::chrono duration, seconds as a
// double, `never` (wait forever; Concurrence's -1) or `current` (the default:
// whatever the tasklet's innermost DeadlineScope leaves). A blocking call
// always obeys the enclosing scope as well: its effective deadline is the
// earlier of its own and the scope's.

#include "weft/sched/config.hpp"

#include <chrono>
#include <cstdint>
#include <ratio>
#include <string>
#include <type_traits>

namespace weft {

// The loop's clock: monotonic.
using Clock = std::chrono::steady_clock;

class Timeout {
 public:
  enum class Kind : std::uint8_t { current, never, after };

  // `current`: the enclosing DeadlineScope's deadline (never when there is none).
  constexpr Timeout() noexcept = default;
  // A relative timeout. Negative durations count as zero (already expired).
  template <class Rep, class Period>
  constexpr Timeout(std::chrono::duration<Rep, Period> d) noexcept  // NOLINT: implicit by design
      : kind_(Kind::after), ns_(clamp(d)) {}
  // Seconds, Concurrence style: -1 means never; other negatives count as zero;
  // NaN throws std::invalid_argument.
  template <class T>
    requires std::is_arithmetic_v<T>
  Timeout(T seconds)  // NOLINT: implicit by design
      : Timeout(from_seconds(static_cast<double>(seconds))) {}

  static constexpr Timeout never_timeout() noexcept { return Timeout(Kind::never); }

  constexpr Kind kind() const noexcept { return kind_; }
  constexpr bool is_never() const noexcept { return kind_ == Kind::never; }
  constexpr bool is_current() const noexcept { return kind_ == Kind::current; }
  // The relative duration (zero unless kind() == after).
  constexpr std::chrono::nanoseconds duration() const noexcept {
    return std::chrono::nanoseconds(ns_);
  }
  // Seconds as a double; -1 for never and current (Concurrence's convention).
  double seconds() const noexcept;
  // "2.5 s", "150 ms", "never", "current".
  std::string describe() const;

  friend constexpr bool operator==(const Timeout&, const Timeout&) = default;

 private:
  constexpr explicit Timeout(Kind k) noexcept : kind_(k) {}
  static Timeout from_seconds(double seconds);
  // Nanoseconds, 0 for a negative or zero d, INT64_MAX above 9e18. A whole
  // number of nanoseconds per tick (ms, s, ns, ...) takes integers: the
  // long double path costs an x87 control-word switch (fldcw), tens of
  // cycles on every Timeout(ms) a server makes per request.
  template <class Rep, class Period>
  static constexpr std::int64_t clamp(std::chrono::duration<Rep, Period> d) noexcept {
    using PerTick = std::ratio_divide<Period, std::nano>;  // ns per tick
    if constexpr (std::is_integral_v<Rep> && PerTick::den == 1) {
      constexpr std::uintmax_t kMax = 9'000'000'000'000'000'000u;
      constexpr std::uintmax_t kPerTick = static_cast<std::uintmax_t>(PerTick::num);
      if (!(d.count() > 0)) return 0;
      const auto ticks = static_cast<std::uintmax_t>(d.count());
      if (ticks > kMax / kPerTick) return INT64_MAX;
      return static_cast<std::int64_t>(ticks * kPerTick);
    } else {
      using Ns = std::chrono::duration<long double, std::nano>;
      long double ns = std::chrono::duration_cast<Ns>(d).count();
      if (!(ns > 0)) return 0;
      if (ns > 9.0e18L) return INT64_MAX;
      return static_cast<std::int64_t>(ns);
    }
  }

  Kind kind_ = Kind::current;
  std::int64_t ns_ = 0;
};

// Wait forever (still bounded by an enclosing DeadlineScope).
inline constexpr Timeout never = Timeout::never_timeout();
// The enclosing DeadlineScope's deadline: the default of every blocking call.
inline constexpr Timeout current{};

class TimeoutError;

// RAII deadline scope (Concurrence's Timeout.push / pop). While it lives, every
// blocking call of the current tasklet obeys the earliest deadline of all
// enclosing scopes and throws DeadlineExceeded (a TimeoutError) when it
// passes; fired() tells this scope's from another's and from a call's own
// timeout. A longer inner scope does not extend an outer one; `never` and
// `current` keep the outer deadline. Must be created in a tasklet, and
// destroyed in the same tasklet (it is a plain stack object: not copyable,
// not movable).
class DeadlineScope {
 public:
  explicit DeadlineScope(Timeout t);
  ~DeadlineScope();
  DeadlineScope(const DeadlineScope&) = delete;
  DeadlineScope& operator=(const DeadlineScope&) = delete;

  // True when `e` was thrown because this scope's deadline passed: not a
  // call's own timeout, not an enclosing scope's earlier deadline (which a
  // longer inner scope does not own), not another tasklet's scope.
  bool fired(const TimeoutError& e) const noexcept;
  // True once this scope's own deadline has passed (never for a scope made
  // with `never` or `current`).
  bool expired() const noexcept;
  // This scope's own deadline (Clock::time_point::max() for `never` and
  // `current`); the deadline in force may be an outer scope's earlier one.
  Clock::time_point deadline() const noexcept;

 private:
  void* fiber_;
  std::int64_t saved_deadline_;
  std::int64_t saved_span_;
  std::int64_t own_;  // this scope's deadline (loop clock, ns; INT64_MAX: none)
  bool binds_;        // own_ is the deadline in force inside it (earlier than the outer one)
};

// What remains of the current tasklet's innermost deadline scope: `never` when
// there is none (Concurrence's Timeout.current()). Must be called in a tasklet.
Timeout current_timeout();

// The loop clock's current time (a fresh reading).
Clock::time_point now() noexcept;

}  // namespace weft
