// An HTTP/1.1 "hello" server (see http_hello.cpp for the routes).
//
//   http_hello [ENDPOINT]      default 127.0.0.1:8080; port 0 picks a free one
//
// Prints "listening on <endpoint>"; SIGINT or SIGTERM stop it.

#include <cstdio>
#include <string>

#include "examples/io/http_hello.hpp"
#include "http/server.hpp"
#include "tasklet/dispatch.hpp"

int main(int argc, char** argv) {
  const std::string where = argc > 1 ? argv[1] : "127.0.0.1:8080";
  return weft::dispatch([&] {
    weft::http::ServerOptions o;
    o.tcp.name = "http";
    auto server = weft::http::serve(weft::Endpoint::parse(where), http_hello::handle, o);
    std::printf("listening on %s\n", server.endpoint().to_string().c_str());
    std::fflush(stdout);
    server.join(weft::never);
  });
}
