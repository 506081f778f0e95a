// An echo client: sends each argument to the echo server and prints the reply.
//
//   echo_client HOST PORT MESSAGE...

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "examples/io/echo.hpp"
#include "tasklet/dispatch.hpp"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s HOST PORT MESSAGE...\n", argv[0]);
    return 2;
  }
  const std::string host = argv[1];
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  const std::vector<std::string> messages(argv + 3, argv + argc);
  return weft::dispatch([&] {
    const auto endpoints = weft::Endpoint::resolve(host, port, 5.0);
    for (const std::string& reply : echo::round_trips(endpoints.front(), messages, 5.0)) {
      std::printf("%s\n", reply.c_str());
    }
  });
}
