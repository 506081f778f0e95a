// Fuzz target: the HTTP request path on arbitrary bytes from a peer.
//
// The http/ module's server connection (weft::http::serve_connection: its
// parser, pipelining, limits and body reads) with the http_hello example's
// handler, on one end of a Unix socket pair while a peer sends the input in
// chunks, ends its side and reads what comes back. For every input:
//  - the connection ends once the peer has ended (it sees EOF, or it closes
//    after a malformed request): no hang (a bound of kBound seconds), no
//    crash, no sanitizer report;
//  - what it wrote is a sequence of whole responses, each starting with
//    "HTTP/1.1 " and carrying a status line.
//
// Input layout: byte 0 picks the chunk size (1..64, 0xff: all at once); the
// rest is what the peer sends.

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "examples/io/http_hello.hpp"
#include "http/server.hpp"
#include "io/socket.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

namespace {

constexpr double kBound = 5.0;  // far beyond any local exchange: reaching it is a hang

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_http: %s: %s\n", what, detail.c_str());
  std::abort();
}

void run_input(std::size_t chunk, std::string_view data) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
    std::perror("fuzz_http: socketpair");
    std::abort();
  }
  weft::Socket server_side(fds[0]);
  weft::Socket peer(fds[1]);
  auto handler = weft::Tasklet::spawn([&] {
    weft::http::ServerOptions o;
    o.max_body_bytes = 64 * 1024;  // small limits: the fuzzer reaches them
    o.max_header_bytes = 2048;
    o.max_headers = 16;
    o.max_pipelined = 4;
    o.linger = std::chrono::milliseconds(100);
    weft::http::SocketTransport t(server_side);
    weft::http::serve_connection(t, http_hello::handle, o);
    server_side.close();  // as serve() does after a handler returns
  });
  auto feeder = weft::Tasklet::spawn([&] {
    std::string_view left = data;
    try {
      while (!left.empty()) {
        const std::size_t n = std::min(left.size(), chunk);
        peer.write_all(left.substr(0, n), kBound);
        left.remove_prefix(n);
        weft::Tasklet::yield_();
      }
      peer.shutdown(weft::Shutdown::write);
    } catch (const weft::IoError&) {
      // the handler closed after a malformed request: the rest is not wanted
    }
  });
  std::string received;
  char buf[4096];
  try {
    for (;;) {
      const std::size_t n = peer.read(std::span<char>(buf, sizeof buf), kBound);
      if (n == 0) break;
      received.append(buf, n);
    }
  } catch (const weft::TimeoutError&) {
    fail("the handler did not end", std::to_string(data.size()) + " bytes sent");
  } catch (const weft::IoError&) {
    // reset by the handler's close: what came before still counts
  }
  try {
    handler.join(kBound);
    feeder.join(kBound);
  } catch (const weft::TimeoutError&) {
    fail("a tasklet did not end", "");
  } catch (const weft::JoinError& e) {
    fail("the handler failed", e.what());
  }
  if (!received.empty() && received.rfind("HTTP/1.1 ", 0) != 0) {
    fail("a response does not start with a status line", received.substr(0, 64));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = data[0] == 0xff ? SIZE_MAX : 1 + data[0] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  weft::dispatch([&] { run_input(chunk, input); });
  return 0;
}
