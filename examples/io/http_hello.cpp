// An HTTP/1.1 keep-alive "hello" server on weft, parsing with the maintained
// http-parser library (Debian's libhttp-parser-dev).
//
//   GET /              200 "Hello, World!"
//   GET /sleep?s=2     200 after 2 s (the wait parks only this request)
//   anything else      404
//
// One tasklet per connection. Pipelined requests are answered in order: a
// request that must wait (/sleep) gets its own tasklet, which writes its
// response once the one before it has been written; quick requests are
// answered inline. So two pipelined 2 s requests take 2 s, not 4.

#include <http_parser.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "examples/io/http_hello.hpp"
#include "tasklet/tasklet.hpp"

namespace http_hello {

namespace {

struct Request {
  std::string url;
  bool keep_alive = true;
};

// Collects the requests http-parser completes in one chunk of input.
struct Parser {
  http_parser parser;
  http_parser_settings settings;
  std::string url;
  std::vector<Request> done;

  Parser() {
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = this;
    http_parser_settings_init(&settings);
    settings.on_message_begin = [](http_parser* p) {
      self(p).url.clear();
      return 0;
    };
    settings.on_url = [](http_parser* p, const char* at, std::size_t n) {
      self(p).url.append(at, n);
      return 0;
    };
    settings.on_message_complete = [](http_parser* p) {
      self(p).done.push_back({self(p).url, http_should_keep_alive(p) != 0});
      return 0;
    };
  }
  static Parser& self(http_parser* p) { return *static_cast<Parser*>(p->data); }

  // Parses a chunk; returns false (with `error` set) on a malformed request.
  bool feed(const char* data, std::size_t n, std::string& error) {
    const std::size_t used = http_parser_execute(&parser, &settings, data, n);
    if (parser.http_errno != HPE_OK || used != n) {
      error = http_errno_name(static_cast<http_errno>(parser.http_errno));
      return false;
    }
    return true;
  }
};

std::string response(int status, const std::string& body, bool keep_alive) {
  const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request";
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                  "\r\nContent-Type: text/plain\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n";
  if (!keep_alive) r += "Connection: close\r\n";
  r += "\r\n";
  r += body;
  return r;
}

// The seconds of a "/sleep?s=N" request, or a negative number for other URLs.
double sleep_seconds(const std::string& url) {
  const std::string prefix = "/sleep?s=";
  if (url.compare(0, prefix.size(), prefix) != 0) return -1;
  return std::atof(url.c_str() + prefix.size());
}

std::string quick_response(const Request& r) {
  if (r.url == "/") return response(200, "Hello, World!\n", r.keep_alive);
  return response(404, "Not Found\n", r.keep_alive);
}

// Kills the responders of a connection that ends early (they use its socket).
struct Responders {
  std::deque<weft::TaskletOf<void>> pending;
  void prune() {
    while (!pending.empty() && pending.front().has_finished()) pending.pop_front();
  }
  ~Responders() {
    for (auto& t : pending) {
      try {
        t.kill();
      } catch (...) {
      }
    }
  }
};

void serve_requests(weft::Socket& s) {
  Parser parser;
  Responders responders;
  char buf[8192];
  bool open = true;
  while (open) {
    const std::size_t n = s.read(buf, 60.0);  // idle keep-alive connections end after 60 s
    if (n == 0) break;
    std::string error;
    const bool ok = parser.feed(buf, n, error);
    for (const Request& r : parser.done) {
      responders.prune();
      const double secs = sleep_seconds(r.url);
      if (secs < 0 && responders.pending.empty()) {
        s.write_all(quick_response(r));  // nothing ahead of it: answer inline
      } else {
        weft::TaskletOf<void> before =
            responders.pending.empty() ? weft::TaskletOf<void>() : responders.pending.back();
        responders.pending.push_back(weft::Tasklet::spawn([&s, r, secs, before] {
          std::string reply;
          if (secs < 0) {
            reply = quick_response(r);
          } else {
            weft::Tasklet::sleep(secs);
            reply = response(200, "slept " + std::to_string(secs) + " s\n", r.keep_alive);
          }
          if (before) before.join();  // responses leave in request order
          s.write_all(reply);
        }));
      }
      if (!r.keep_alive) open = false;
    }
    parser.done.clear();
    if (!ok) {
      for (auto& t : responders.pending) t.join();
      s.write_all(response(400, "Bad Request: " + error + "\n", false));
      break;
    }
  }
  for (auto& t : responders.pending) t.join();  // the last responses before the socket closes
  responders.pending.clear();
}

}  // namespace

void serve_connection(weft::Socket& s) {
  try {
    serve_requests(s);
  } catch (const weft::ConnectionResetError&) {
    // the client went away (wrk resets its connections at the end): nothing to report
  }
}

}  // namespace http_hello
