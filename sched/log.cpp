#include "sched/log.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <typeinfo>

#include "sched/detail/loop.hpp"
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

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                             std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

}  // namespace

void log(LogLevel level, std::string_view message) noexcept {
  try {
    detail::Loop* loop = detail::Loop::current();
    if (loop != nullptr && loop->log_handler()) {
      loop->log_handler()(level, message);
      return;
    }
    if (level == LogLevel::debug) return;
    std::string line = "weft: ";
    line += level_name(level);
    line += ": ";
    line += message;
    line += '\n';
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
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
    return demangle(typeid(ex).name()) + ": " + ex.what();
  } catch (...) {
    const std::type_info* t = abi::__cxa_current_exception_type();
    return t != nullptr ? demangle(t->name()) : std::string("unknown exception");
  }
}

}  // namespace weft
