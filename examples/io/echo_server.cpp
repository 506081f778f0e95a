// An echo server: one tasklet per connection, written as plain blocking code.
//
//   echo_server [ENDPOINT]      default 127.0.0.1:7007; port 0 picks a free one
//
// Prints "listening on <endpoint>" once it accepts connections; SIGINT or
// SIGTERM stop it.

#include <cstdio>
#include <string>

#include "examples/io/echo.hpp"
#include "io/server.hpp"
#include "tasklet/dispatch.hpp"

int main(int argc, char** argv) {
  const std::string where = argc > 1 ? argv[1] : "127.0.0.1:7007";
  return weft::dispatch([&] {
    auto server = weft::serve(weft::Endpoint::parse(where), echo::serve_connection);
    std::printf("listening on %s\n", server.endpoint().to_string().c_str());
    std::fflush(stdout);
    server.join(weft::never);
  });
}
