#include "sched/log.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <typeinfo>

#include "sched/detail/loop.hpp"
#include "sched/detail/loop_group.hpp"
#include "sched/extension.hpp"
#include "sched/errors.hpp"

namespace weft {

namespace {

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "?";
}

}  // namespace

std::string detail::demangle(const std::type_info& t) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(t.name(), nullptr, nullptr, &status), std::free);
  std::string out = status == 0 && name ? std::string(name.get()) : std::string(t.name());
  // The one spelling people read in messages.
  static const std::string long_string =
      "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >";
  for (std::size_t p; (p = out.find(long_string)) != std::string::npos;) {
    out.replace(p, long_string.size(), "std::string");
  }
  return out;
}

void log(LogLevel level, std::string_view message) noexcept {
  try {
    detail::Loop* loop = detail::current_loop();
    if (loop != nullptr && level < loop->log_level()) return;
    if (loop != nullptr && loop->log_handler()) {
      loop->log_handler()(level, message);
      return;
    }
    if (level == LogLevel::debug) return;
    std::string line = "weft: ";
    if (loop != nullptr && loop->group() != nullptr && loop->group()->size() > 1) {
      line += "loop " + std::to_string(loop->index()) + ": ";  // which of dispatch_loops' loops
    }
    line += level_name(level);
    line += ": ";
    line += message;
    line += '\n';
    // stderr may be a pipe whose reader has gone: that must not kill the program.
    ssize_t ignored = detail::write_without_sigpipe(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
  } catch (...) {
    // Logging must never throw; a handler that does loses that message.
  }
}

std::string describe_current_exception() {
  std::exception_ptr e = std::current_exception();
  if (!e) return "no exception";
  try {
    std::rethrow_exception(e);
  } catch (const TaskletExit&) {
    return "TaskletExit";
  } catch (const std::exception& ex) {
    return detail::demangle(typeid(ex)) + ": " + ex.what();
  } catch (...) {
    const std::type_info* t = abi::__cxa_current_exception_type();
    return t != nullptr ? detail::demangle(*t) : std::string("unknown exception");
  }
}

}  // namespace weft
