// An HTTP/1.1 "hello" server on weft's http/ module.
//
//   GET /              200 "Hello, World!"
//   GET /sleep?s=2     200 after 2 s (the wait parks only this request; at
//                      most 3 s: a peer must not park handlers for long)
//   anything else      404
//
// Each request runs in a tasklet of its own (weft::http::serve): pipelined
// requests are handled concurrently and answered in order, so two pipelined
// 2 s requests take 2 s, not 4.

#include "examples/io/http_hello.hpp"

#include <cstdlib>
#include <string>

#include "tasklet/tasklet.hpp"

namespace http_hello {

void handle(weft::http::Request& req, weft::http::Response& res) {
  res.set_header("Content-Type", "text/plain");
  if (req.target() == "/") {
    res.send("Hello, World!\n");
    return;
  }
  const std::string_view prefix = "/sleep?s=";
  if (req.target().compare(0, prefix.size(), prefix) == 0) {
    constexpr double kMaxSleep = 3.0;
    double secs = std::atof(req.target().c_str() + prefix.size());
    if (!(secs > 0)) secs = 0;  // negative, zero, junk or NaN
    if (secs > kMaxSleep) secs = kMaxSleep;
    weft::Tasklet::sleep(secs);
    res.send("slept " + std::to_string(secs) + " s\n");
    return;
  }
  res.send(404, "Not Found\n");
}

}  // namespace http_hello
