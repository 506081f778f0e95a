#pragma once
// errno in words for error messages, shared by sockets and TLS.

#include <string>

namespace weft::detail {

// "Connection refused (ECONNREFUSED)".
std::string errno_text(int err);

}  // namespace weft::detail
