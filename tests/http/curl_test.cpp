// curl as a real client of the HTTP server: GET, --http1.0, -I (no "Excess
// found"), keep-alive reuse, a chunked upload from a file, Expect: 100-continue.
// Skipped when curl is not installed (make deps installs it).

#include <unistd.h>

#include <fstream>
#include <string>

#include "http/server.hpp"
#include "tests/http/support.hpp"

using http_test::have;
using http_test::kAny;
using http_test::shell;
using weft::http::Request;
using weft::http::Response;
using weft_test::contains;
using weft_test::run;

namespace {

void handler(Request& req, Response& res) {
  res.set_header("Content-Type", "text/plain");
  if (req.method() == "POST" || req.method() == "PUT") {
    const std::string body = req.read_body();
    unsigned sum = 0;
    for (unsigned char ch : body) sum = sum * 31 + ch;
    res.send("got " + std::to_string(body.size()) + " sum " + std::to_string(sum) + "\n");
    return;
  }
  res.send("Hello, World!\n");
}

std::string url(const weft::Server& s, const char* path = "/") {
  return "http://" + s.endpoint().to_string() + path;
}

}  // namespace

TEST_SUITE("http") {

TEST_CASE("http with curl: GET, HTTP/1.0, HEAD without excess bytes, keep-alive reuse") {
  if (!have("curl")) {
    MESSAGE("curl is not installed: skipped (make deps installs it)");
    return;
  }
  run([] {
    weft::http::ServerOptions o;
    auto server = weft::http::serve(kAny, handler, o);
    const std::string u = url(server);
    int status = -1;
    CHECK(shell("curl -sS --max-time 5 " + u, &status) == "Hello, World!\n");
    CHECK(status == 0);
    CHECK(shell("curl -sS --max-time 5 --http1.0 " + u, &status) == "Hello, World!\n");
    CHECK(status == 0);
    const std::string head = shell("curl -sSv --max-time 5 -I " + u + " 2>&1", &status);
    CHECK(status == 0);
    CHECK(contains(head, "Content-Length: 14"));
    CHECK_FALSE(contains(head, "Excess"));
    const std::string two = shell("curl -sSv --max-time 5 " + u + " " + u + " 2>&1", &status);
    CHECK(status == 0);
    CHECK(contains(two, "Re-using existing connection"));
    const std::size_t before = server.accepted();
    shell("curl -sS --max-time 5 " + u + " " + u + " " + u + " -o /dev/null -o /dev/null -o /dev/null");
    CHECK(server.accepted() == before + 1);
  });
}

TEST_CASE("http with curl: a chunked upload from a file, and Expect: 100-continue") {
  if (!have("curl")) return;
  run([] {
    const std::string path = "/tmp/weft-http-upload-" + std::to_string(::getpid());
    std::string data;
    for (int i = 0; i < 300'000; ++i) data += static_cast<char>('a' + i % 26);
    std::ofstream(path, std::ios::binary) << data;
    unsigned sum = 0;
    for (unsigned char ch : data) sum = sum * 31 + ch;
    const std::string want = "got 300000 sum " + std::to_string(sum) + "\n";
    weft::http::ServerOptions o;
    auto server = weft::http::serve(kAny, handler, o);
    const std::string u = url(server, "/upload");
    int status = -1;
    const std::string chunked = shell("curl -sSv --max-time 10 -H 'Transfer-Encoding: chunked' "
                                      "--data-binary @" + path + " " + u + " 2>&1", &status);
    CHECK(status == 0);
    CHECK(contains(chunked, "Transfer-Encoding: chunked"));
    CHECK(contains(chunked, want));
    const std::string expect = shell("curl -sSv --max-time 10 -H 'Expect: 100-continue' -T " +
                                     path + " " + u + " 2>&1", &status);
    CHECK(status == 0);
    CHECK(contains(expect, "HTTP/1.1 100 Continue"));
    CHECK(contains(expect, want));
    ::unlink(path.c_str());
  });
}

}  // TEST_SUITE
