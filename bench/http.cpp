// http: HTTP/1.1 keep-alive "hello" requests at N connections (http_c<N>),
// loaded by wrk (one thread): without --conns the curve N = 64, 1,000;
// --conns N measures one N. weft's HTTP server (weft::http::serve: a tasklet
// per connection and one per request, with the http_hello example's handler)
// against the same responses from raw libev callbacks + http-parser
// (http_libev.cpp), the parser weft::http uses too. Per N: requests/s, the server's
// CPU time per request and wrk's own, and the weft/libev ratio of each; the
// median of --runs runs (3 by default), both servers alternately in the same
// run. Skipped with a message when wrk is not installed.
//
// How a run goes is wrk_load.hpp's (shared with https): the weft server
// allows the N connections asked for (ServerOptions::max_connections is
// raised to fit); one request of our own learns the response's length
// first; 1 s of warm-up after all N connections are open, 3 s measured (with
// --quick 0.5 s and 1 s). Responses in the window are counted from the bytes
// wrk has read (rchar in /proc/<wrk>/io: wrk reads its sockets with read(2),
// and nothing else while it runs) divided by the response's length. The
// server's open sockets are counted when the window starts; fewer than N
// connections open then is printed, and so are wrk's socket errors and
// non-2xx responses. A capped N names the figures after the connections
// measured (http_c<capped N>).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.hpp"
#include "bench/echo_process.hpp"
#include "bench/libev_servers.hpp"
#include "bench/wrk_load.hpp"
#include "examples/io/http_hello.hpp"
#include "http/server.hpp"
#include "tasklet/dispatch.hpp"

using bench::cell;
using echo_bench::stop_child;
using echo_bench::with_commas;
using wrk_load::Figures;
using wrk_load::kLibev;
using wrk_load::kWeft;

namespace {

const std::vector<long> kCurve = {64, 1000};
constexpr int kDefaultRuns = 3;

void serve_weft(int listen_fd, long conns) {
  weft::dispatch([listen_fd, conns] {
    weft::http::ServerOptions o;
    o.tcp.max_connections = std::max<std::size_t>(
        o.tcp.max_connections, static_cast<std::size_t>(conns + wrk_load::kReservedFds));
    auto server = weft::http::serve(weft::Socket(listen_fd), http_hello::handle, o);
    server.join(weft::never);
  });
}

// Sends one GET / to the server and returns the length of its response (a
// 200 with a Content-Length); 0 with `problem` set when it did not answer so.
std::size_t probe(const sockaddr_in& addr, std::string& problem) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    problem = std::string("socket: ") + std::strerror(errno);
    return 0;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string got;
  const std::string req = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::size_t want = 0;
  // The server may still be starting: retry the connection for a while.
  int rc = -1;
  for (int i = 0; i < 500 && rc != 0; ++i) {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    if (rc != 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (rc != 0 || ::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    problem = std::string("the first request: ") + std::strerror(errno);
    ::close(fd);
    return 0;
  }
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
    const auto end = got.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    const auto cl = got.find("Content-Length: ");
    if (cl == std::string::npos || cl > end) break;
    want = end + 4 + std::strtoul(got.c_str() + cl + 16, nullptr, 10);
    if (got.size() >= want) break;
  }
  ::close(fd);
  if (want == 0 || got.size() != want || got.compare(0, 12, "HTTP/1.1 200") != 0) {
    problem = "the first request got no 200 response with a Content-Length (" +
              std::to_string(got.size()) + " bytes)";
    return 0;
  }
  return want;
}

// Bytes `pid` has read with read(2) and kin so far (rchar in /proc/<pid>/io; -1 if unreadable).
long read_bytes(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  long v = -1;
  while (f >> key >> v) {
    if (key == "rchar:") return v;
  }
  return -1;
}

wrk_load::Started start(wrk_load::Slot slot, long conns) {
  wrk_load::Started s;
  sockaddr_in addr;
  const pid_t pid = wrk_load::fork_server(addr, [slot, conns](int lfd) {
    if (slot == kWeft) {
      serve_weft(lfd, conns);
    } else {
      run_libev_http(lfd);
    }
  });
  const std::size_t response = probe(addr, s.problem);
  if (response == 0) {
    stop_child();
    return s;
  }
  s.pid = pid;
  s.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  s.responses = [response](pid_t wrk) {
    const long bytes = read_bytes(wrk);
    return bytes < 0 ? -1.0 : static_cast<double>(bytes) / static_cast<double>(response);
  };
  return s;
}

// The whole curve in one table, for reading across N.
void print_curve(const std::vector<wrk_load::Point>& points) {
  std::printf("http curve   requests/s (weft, libev, ratio) | server CPU us/req (weft, libev, ratio)"
              " | wrk CPU us/req (facing weft, libev)\n");
  for (const wrk_load::Point& p : points) {
    const double rw = p.med(kWeft, &Figures::rate);
    const double rl = p.med(kLibev, &Figures::rate);
    const double cw = p.med(kWeft, &Figures::server_us);
    const double cl = p.med(kLibev, &Figures::server_us);
    std::printf("  N=%-7ld %10s %10s %6s | %7s %7s %6s | %6s %6s%s\n", p.conns, cell(rw, "%.4g").c_str(),
                cell(rl, "%.4g").c_str(), cell(rw / rl, "%.3g").c_str(), cell(cw, "%.2f").c_str(),
                cell(cl, "%.2f").c_str(), cell(cw / cl, "%.3g").c_str(),
                cell(p.med(kWeft, &Figures::wrk_us), "%.2f").c_str(),
                cell(p.med(kLibev, &Figures::wrk_us), "%.2f").c_str(),
                p.conns < p.requested ? ("  capped, asked " + with_commas(p.requested)).c_str() : "");
  }
  std::printf("\n");
  std::fflush(stdout);
}


}  // namespace

int main(int argc, char** argv) {
  long conns_flag = 0;
  bench::Args args = bench::parse(argc, argv, {{"--conns", "N", &conns_flag}});
  if (!bench::has_flag(argc, argv, "--runs")) args.runs = kDefaultRuns;
  if (!wrk_load::have_wrk()) {
    if (!args.json) std::printf("http     skipped: wrk is not installed (apt-get install wrk)\n\n");
    return 0;
  }
  const long fd_limit = wrk_load::setup("http");
  wrk_load::Load load;
  load.name = "http";
  load.what = "HTTP/1.1 keep-alive hello";
  load.target = "requests/s >= 0.95x libev + http-parser (DESIGN.md section 9)";
  load.start = start;
  const std::vector<long> curve = conns_flag > 0 ? std::vector<long>{conns_flag} : kCurve;
  if (!args.json) {
    std::printf("http: busy = CPU seconds per second (100%%: a core to itself); server CPU/req compares"
                " the servers even when neither had one\n\n");
  }
  std::vector<wrk_load::Point> points;
  for (long n : curve) {
    const wrk_load::Timing t{args.scale < 1 ? 0.5 : 1.0, args.scale < 1 ? 1.0 : 3.0};
    points.push_back(wrk_load::measure_point(args, load, n, fd_limit, t));
    if (args.json) {
      wrk_load::print_json(load, points.back());
    } else {
      wrk_load::print_table(load, points.back(), args.runs, t);
    }
  }
  if (!args.json && points.size() > 1) print_curve(points);
}
