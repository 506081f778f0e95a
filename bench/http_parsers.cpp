// http_parsers: the two HTTP/1.1 parsers Debian packages, on the requests
// weft's server parses: ns per request for http-parser 2.9 (fed as weft's
// http/detail/parser.cpp feeds it: one parser per connection, callbacks
// copying method, target and header fields into strings) and Boost.Beast
// 1.74's request_parser fed with put() (a parser per request, as Beast
// requires, the same fields copied out). Two requests: wrk's GET (one
// header field) and a browser's GET (ten). Single-threaded, thread CPU time;
// the median of --runs runs. http/README.md, "Which parser", has the figures.

#include <http_parser.h>

#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_util.hpp"

namespace {

namespace beast_http = boost::beast::http;

const std::string kWrk = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
const std::string kBrowser =
    "GET /static/app/main.css?v=12 HTTP/1.1\r\nHost: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/css,*/*;q=0.1\r\nAccept-Language: en-GB,en;q=0.7,fr;q=0.3\r\n"
    "Accept-Encoding: gzip, deflate, br\r\nReferer: https://www.example.com/\r\n"
    "Connection: keep-alive\r\nCookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark\r\n"
    "Sec-Fetch-Dest: style\r\nSec-Fetch-Mode: no-cors\r\n\r\n";

struct Fields {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  bool last_was_value = false;
  bool done = false;
};

// 32 requests back to back, as pipelined or kept-alive input arrives.
std::string batch(const std::string& one) {
  std::string s;
  for (int i = 0; i < 32; ++i) s += one;
  return s;
}

volatile std::size_t g_sink = 0;

double run_http_parser(const std::string& input, long requests) {
  Fields f;
  http_parser p;
  http_parser_init(&p, HTTP_REQUEST);
  p.data = &f;
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_message_begin = [](http_parser* p) {
    auto& f = *static_cast<Fields*>(p->data);
    f.target.clear();
    f.headers.clear();
    f.last_was_value = false;
    return 0;
  };
  s.on_url = [](http_parser* p, const char* at, std::size_t n) {
    static_cast<Fields*>(p->data)->target.append(at, n);
    return 0;
  };
  s.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
    auto& f = *static_cast<Fields*>(p->data);
    if (f.last_was_value || f.headers.empty()) f.headers.emplace_back();
    f.headers.back().first.append(at, n);
    f.last_was_value = false;
    return 0;
  };
  s.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
    auto& f = *static_cast<Fields*>(p->data);
    f.headers.back().second.append(at, n);
    f.last_was_value = true;
    return 0;
  };
  s.on_headers_complete = [](http_parser* p) {
    static_cast<Fields*>(p->data)->method = http_method_str(static_cast<http_method>(p->method));
    return 0;
  };
  s.on_message_complete = [](http_parser* p) {
    g_sink = g_sink + static_cast<Fields*>(p->data)->headers.size();
    return 0;
  };
  const double t0 = bench::thread_cpu_seconds();
  for (long done = 0; done < requests; done += 32) {
    const std::size_t used = http_parser_execute(&p, &s, input.data(), input.size());
    if (used != input.size() || p.http_errno != HPE_OK) std::abort();
  }
  return (bench::thread_cpu_seconds() - t0) * 1e9 / static_cast<double>(requests);
}

double run_beast(const std::string& input, long requests) {
  Fields f;
  const double t0 = bench::thread_cpu_seconds();
  for (long done = 0; done < requests; done += 32) {
    const char* at = input.data();
    std::size_t left = input.size();
    while (left > 0) {
      beast_http::request_parser<beast_http::empty_body> p;
      boost::beast::error_code ec;
      while (!p.is_done()) {
        const std::size_t used = p.put(boost::asio::buffer(at, left), ec);
        if (ec) std::abort();
        at += used;
        left -= used;
      }
      const auto& req = p.get();
      f.method.assign(req.method_string().data(), req.method_string().size());
      f.target.assign(req.target().data(), req.target().size());
      f.headers.clear();
      for (const auto& field : req) {
        f.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      g_sink = g_sink + f.headers.size();
    }
  }
  return (bench::thread_cpu_seconds() - t0) * 1e9 / static_cast<double>(requests);
}

const std::string* g_input = nullptr;
double http_parser_impl(long n) { return run_http_parser(*g_input, n); }
double beast_impl(long n) { return run_beast(*g_input, n); }

}  // namespace

int main(int argc, char** argv) {
  const bench::Args args = bench::parse(argc, argv);
  const long requests = static_cast<long>(2'000'000 * args.scale) / 32 * 32;
  const std::string wrk = batch(kWrk);
  const std::string browser = batch(kBrowser);
  const std::vector<bench::Impl> impls = {{"http-parser", http_parser_impl}, {"beast", beast_impl}};
  std::vector<std::string> names;
  for (const auto& i : impls) names.push_back(i.name);
  g_input = &wrk;
  bench::report(args, "http_parse_wrk", "ns", "parse wrk's GET (1 header field), per request",
                names, bench::measure(args, impls, requests), true,
                "none: chooses weft::http's parser (http/README.md)");
  g_input = &browser;
  bench::report(args, "http_parse_browser", "ns",
                "parse a browser's GET (10 header fields), per request", names,
                bench::measure(args, impls, requests), true,
                "none: chooses weft::http's parser (http/README.md)");
}
