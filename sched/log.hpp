#pragma once
// Where weft reports what it cannot throw: a tasklet that failed and was never
// joined, an exception escaping a helper's callable or a Timer callback.

#include "weft/sched/config.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <typeinfo>

namespace weft {

enum class LogLevel { debug, info, warning, error };

// Receives every message of one loop (set through DispatchOptions). Called on
// the loop thread; must not throw.
using LogHandler = std::function<void(LogLevel, std::string_view)>;

// Logs through the current loop's handler; to stderr when there is no loop or
// no handler ("weft: error: ..."), where debug messages are left out.
void log(LogLevel level, std::string_view message) noexcept;

// Describes the exception in flight inside a catch block, for messages:
// "std::runtime_error: boom", "TaskletExit", "unknown exception".
std::string describe_current_exception();

namespace detail {
// A type's name for messages: demangled, with std::string spelled so
// ("int", "std::string", "weft::TimeoutError"); the mangled name when that fails.
std::string demangle(const std::type_info& t);
}  // namespace detail

}  // namespace weft
