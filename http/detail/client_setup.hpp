#pragma once
// What connect() and connect_https() share (http/ only).

#include <cstdint>
#include <string>
#include <string_view>

namespace weft::http::detail {

// The Host header for host:port: IPv6 in brackets, the port unless it is the
// scheme's default.
std::string host_header(std::string_view host, std::uint16_t port, std::uint16_t default_port);

}  // namespace weft::http::detail
