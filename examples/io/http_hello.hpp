#pragma once
// The HTTP example's request handler, shared by the http_hello program, the
// http benchmark and the HTTP fuzz target. See http_hello.cpp.

#include "http/request.hpp"
#include "http/response.hpp"

namespace http_hello {

// GET / answers "Hello, World!", /sleep?s=N after N seconds (at most 3), anything else 404.
void handle(weft::http::Request& req, weft::http::Response& res);

}  // namespace http_hello
