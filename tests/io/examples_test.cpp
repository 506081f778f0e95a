// Drives the example programs as child processes over loopback.

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "io/socket.hpp"
#include "io/stream.hpp"
#include "sched/to_thread.hpp"
#include "io/io_example_paths.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using io_test::Child;
using weft::BufferedStream;
using weft::Socket;
using weft::Tasklet;
using weft_test::near;
using weft_test::run;
using weft_test::since;

namespace {

struct Response {
  int status = 0;
  std::string body;
  bool close = false;
};

// Reads one HTTP/1.1 response (status line, headers, Content-Length body).
Response read_response(BufferedStream& in, weft::Timeout t = 5.0) {
  Response r;
  const std::string status = in.read_line(t);
  REQUIRE(status.rfind("HTTP/1.1 ", 0) == 0);
  r.status = std::stoi(status.substr(9, 3));
  std::size_t length = 0;
  for (;;) {
    const std::string h = in.read_line(t);
    if (h.empty()) break;
    if (h.rfind("Content-Length: ", 0) == 0) length = std::stoul(h.substr(16));
    if (h == "Connection: close") r.close = true;
  }
  r.body = in.read_bytes(length, t);
  return r;
}

std::string get(const std::string& path, bool close = false) {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + (close ? "Connection: close\r\n" : "") +
         "\r\n";
}

bool have_http() { return std::string(WEFT_HTTP_HELLO).size() > 0; }

}  // namespace

TEST_SUITE("io") {

TEST_CASE("echo example: the server program and the client program over loopback") {
  run([] {
    Child server({WEFT_ECHO_SERVER, "127.0.0.1:0"});
    const weft::Endpoint at = server.listening_endpoint();
    Socket c = Socket::connect(at, 2.0);
    c.write_all("hello echo", 2.0);
    char buf[10];
    c.read_exactly({buf, 10}, 2.0);
    CHECK(std::string(buf, 10) == "hello echo");
    c.close();
    {
      Child client({WEFT_ECHO_CLIENT, "localhost", std::to_string(at.port()), "one", "two"});
      CHECK(client.read_line() == "one");
      CHECK(client.read_line() == "two");
      CHECK(client.stop(0, 5.0) == 0);  // signal 0: just wait for its exit status
    }
    CHECK(server.stop(SIGTERM) == 143);  // SIGTERM: dispatch quits in order
  });
}

TEST_CASE("HTTP example: keep-alive 200 and 404, pipelined responses in order") {
  if (!have_http()) {
    MESSAGE("http_hello was not built (libhttp-parser-dev missing): skipped");
    return;
  }
  run([] {
    Child server({WEFT_HTTP_HELLO, "127.0.0.1:0"});
    const weft::Endpoint at = server.listening_endpoint();
    Socket c = Socket::connect(at, 2.0);
    BufferedStream in(c);
    // Keep-alive: several requests on one connection.
    c.write_all(get("/"), 2.0);
    Response r = read_response(in);
    CHECK(r.status == 200);
    CHECK(r.body == "Hello, World!\n");
    c.write_all(get("/missing"), 2.0);
    CHECK(read_response(in).status == 404);
    c.write_all(get("/"), 2.0);
    CHECK(read_response(in).status == 200);
    // Pipelined: a slow request first; the answers still come in request order.
    c.write_all(get("/sleep?s=0.1") + get("/nope") + get("/"), 2.0);
    r = read_response(in);
    CHECK(r.status == 200);
    CHECK(r.body.rfind("slept", 0) == 0);
    CHECK(read_response(in).status == 404);
    CHECK(read_response(in).status == 200);
    // Connection: close ends it after the response.
    c.write_all(get("/", true), 2.0);
    r = read_response(in);
    CHECK(r.close);
    char probe;
    CHECK(c.read({&probe, 1}, 2.0) == 0);
    // A malformed request gets 400 and the connection closes.
    Socket bad = Socket::connect(at, 2.0);
    BufferedStream bin(bad);
    bad.write_all("NONSENSE\r\n\r\n", 2.0);
    CHECK(read_response(bin).status == 400);
    CHECK(server.stop() == 143);
  });
}

TEST_CASE("HTTP example: two pipelined 2 s requests finish in about 2 s, not 4") {
  if (!have_http()) return;
  run([] {
    Child server({WEFT_HTTP_HELLO, "127.0.0.1:0"});
    Socket c = Socket::connect(server.listening_endpoint(), 2.0);
    BufferedStream in(c);
    const auto start = weft::now();
    c.write_all(get("/sleep?s=2") + get("/sleep?s=2"), 2.0);
    CHECK(read_response(in, 5.0).status == 200);
    CHECK(read_response(in, 5.0).status == 200);
    CHECK(near(since(start), 2.0, 0.2));
    CHECK(server.stop() == 143);
  });
}

TEST_CASE("HTTP example: wrk can load it (when wrk is installed)") {
  if (!have_http() || std::system("command -v wrk >/dev/null 2>&1") != 0) {
    MESSAGE("wrk not installed: skipped");
    return;
  }
  run([] {
    Child server({WEFT_HTTP_HELLO, "127.0.0.1:0"});
    const weft::Endpoint at = server.listening_endpoint();
    const std::string cmd = "wrk -t1 -c16 -d1s http://" + at.to_string() + "/ 2>&1";
    // wrk blocks: run it on a worker thread so the loop (and this test) keeps going.
    const std::string out = weft::to_thread([cmd] {
      std::string text;
      if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p) != nullptr) text += buf;
        ::pclose(p);
      }
      return text;
    }, 30.0);
    INFO(out);
    CHECK(out.find("Requests/sec:") != std::string::npos);
    CHECK(out.find("Non-2xx") == std::string::npos);
    CHECK(out.find("Socket errors") == std::string::npos);
    CHECK(server.stop() == 143);
  });
}

}  // TEST_SUITE
