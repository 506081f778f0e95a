#pragma once
// Demangled type names for error messages.

#include <string>
#include <typeinfo>

namespace weft::twisted::detail {

// "int", "std::string", "weft::twisted::CancelledError".
std::string type_name(const std::type_info& t);

}  // namespace weft::twisted::detail
