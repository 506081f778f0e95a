#pragma once
// What serve() and serve_tls() share (http/ only): checking the options and
// the TCP server's options derived from them.

#include "weft/http/server.hpp"

namespace weft::http::detail {

// Throws std::invalid_argument for an empty handler or options out of range.
void check_server(const Handler& handler, const ServerOptions& o);
// o.tcp without its own read timeouts (the HTTP timeouts bound every read).
weft::ServerOptions tcp_options(const ServerOptions& o);

}  // namespace weft::http::detail
