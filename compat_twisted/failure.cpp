#include "compat_twisted/failure.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <stdexcept>

#include "compat_twisted/detail/type_name.hpp"
#include "compat_twisted/errors.hpp"

namespace weft::twisted {

namespace detail {

std::string type_name(const std::type_info& t) {
  int status = 0;
  char* name = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name != nullptr ? name : t.name();
  std::free(name);
  // The one spelling people read in messages.
  const std::string long_string =
      "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >";
  for (std::size_t p; (p = out.find(long_string)) != std::string::npos;) {
    out.replace(p, long_string.size(), "std::string");
  }
  return out;
}

}  // namespace detail

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
    return t != nullptr ? detail::type_name(*t) : "unknown exception";
  }
}

bool Failure::isTaskletExit() const { return is_a<TaskletExit>(); }

}  // namespace weft::twisted
