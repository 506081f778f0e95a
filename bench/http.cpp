// http: HTTP/1.1 keep-alive "hello" requests per second, loaded by wrk (one
// thread, 64 connections): weft's http_hello example server against the same
// responses from raw libev callbacks + http-parser (http_libev.cpp). Skipped
// with a message when wrk is not installed. Each server runs in a child
// process on a listening socket made here; wrk runs alternately against both.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/bench_net.hpp"
#include "bench/bench_util.hpp"
#include "bench/libev_servers.hpp"
#include "examples/io/http_hello.hpp"
#include "io/server.hpp"
#include "tasklet/dispatch.hpp"

namespace {

// Runs wrk for `ms` against the port; returns its Requests/sec.
double run_wrk(int port, long ms) {
  const std::string cmd = "wrk -t1 -c64 -d" + std::to_string(std::max(1L, ms / 1000)) +
                          "s http://127.0.0.1:" + std::to_string(port) + "/ 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  double rps = 0;
  char line[512];
  while (p != nullptr && std::fgets(line, sizeof line, p) != nullptr) {
    std::sscanf(line, "Requests/sec: %lf", &rps);
  }
  if (p != nullptr) ::pclose(p);
  return rps;
}

template <int Slot>
double run_one(long ms) {
  sockaddr_in addr;
  const int lfd = bench::make_loopback_listener(addr, "http");
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (Slot == 0) {
      weft::dispatch([lfd] {
        auto server = weft::serve(weft::Socket(lfd), http_hello::serve_connection);
        server.join(weft::never);
      });
    } else {
      run_libev_http(lfd);
    }
    std::_Exit(0);
  }
  ::close(lfd);
  const double rps = run_wrk(ntohs(addr.sin_port), ms);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return rps;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse(argc, argv);
  if (std::system("command -v wrk >/dev/null 2>&1") != 0) {
    if (!args.json) std::printf("http     skipped: wrk is not installed (apt-get install wrk)\n\n");
    return 0;
  }
  const long ms = args.scale < 1 ? 1000 : 3000;
  std::vector<bench::Impl> impls{{"weft", run_one<0>}, {"libev", run_one<1>}};
  const std::vector<double> rps = bench::measure(args, impls, ms);
  bench::report(args, "http", "requests/s",
                "HTTP/1.1 keep-alive hello, wrk -t1 -c64", {"weft", "libev"}, rps, false,
                "no target set (DESIGN.md section 9); libev + http-parser is the floor");
}
