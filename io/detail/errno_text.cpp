#include "io/detail/errno_text.hpp"

#include <cstring>

namespace weft::detail {

std::string errno_text(int err) {
  std::string s = std::strerror(err);
  if (const char* name = ::strerrorname_np(err)) {
    s += " (";
    s += name;
    s += ")";
  }
  return s;
}

}  // namespace weft::detail
