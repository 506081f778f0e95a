#pragma once
// The HTTP example's connection handler, shared by the http_hello program and
// the http benchmark. See http_hello.cpp.

#include "io/socket.hpp"

namespace http_hello {

// Serves HTTP/1.1 requests on one connection until the client closes it, asks
// for "Connection: close", sends a malformed request (400) or stays idle 60 s.
void serve_connection(weft::Socket& s);

}  // namespace http_hello
