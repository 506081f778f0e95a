#include "compat_twisted/failure.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <stdexcept>

#include "sched/log.hpp"
#include "compat_twisted/errors.hpp"

namespace weft::twisted {

Failure::Failure(std::exception_ptr error) {
  if (!error) throw std::invalid_argument("weft::twisted: Failure needs a non-null exception_ptr");
  impl_ = std::make_shared<const Impl>(Impl{std::move(error)});
}

Failure Failure::current() {
  std::exception_ptr e = std::current_exception();
  if (!e) throw NoCurrentExceptionError();
  return Failure(std::move(e));
}

std::string Failure::getErrorMessage() const {
  try {
    std::rethrow_exception(impl_->error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (const TaskletExit& e) {
    return e.what();
  } catch (const SystemExit& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

std::string Failure::typeName() const {
  try {
    std::rethrow_exception(impl_->error);
  } catch (...) {
    const std::type_info* t = abi::__cxa_current_exception_type();
    return t != nullptr ? weft::detail::demangle(*t) : "unknown exception";
  }
}

bool Failure::isTaskletExit() const { return is_a<TaskletExit>(); }

}  // namespace weft::twisted
