// https: the http benchmark's "hello" over TLS at 64 connections (--conns N
// for another N), loaded by wrk (one thread) in two ways:
//  - https_c<N>: keep-alive, one TLS handshake per connection at the start
//    (before the measured window), then requests on it;
//  - https_c<N>_close: every request says "Connection: close" (wrk -H), the
//    server answers and closes, and wrk opens a new connection: a TCP
//    connection and a TLS handshake per request.
// weft's server (weft::http::serve_tls with the http_hello example's
// handler: a tasklet per connection, TlsStream::accept, then weft::http over
// the TLS stream) against the floor: raw libev callbacks, non-blocking
// OpenSSL (tls_libev.cpp) and http-parser (http_libev.cpp), the parser
// weft::http uses too. Per variant: requests/s, the server's CPU time per
// request (<bench>_cpu) and wrk's own, and the weft/libev ratio of each; the
// median of --runs runs (3 by default), both servers alternately in the same
// run. Skipped with a message when wrk is not installed.
//
// How a run goes is wrk_load.hpp's (shared with http): 1 s of warm-up after
// all N connections are open (keep-alive) or after the first responses
// (close), 3 s measured (with --quick 0.5 s and 1 s). wrk reads ciphertext
// (and, with a connection per request, handshakes), so responses are counted
// by the servers themselves: each increments a counter in memory shared with
// this process (one relaxed atomic add per request, in both). Both servers
// use OpenSSL's defaults (TLS 1.3, X25519, AES-256-GCM, session tickets
// issued) and the same certificate, ECDSA P-256, made at run time with the
// openssl program in a temporary directory.

#include <arpa/inet.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "bench/bench_cert.hpp"
#include "bench/bench_util.hpp"
#include "bench/libev_servers.hpp"
#include "bench/wrk_load.hpp"
#include "examples/io/http_hello.hpp"
#include "http/server.hpp"
#include "io/tls_context.hpp"
#include "tasklet/dispatch.hpp"

using wrk_load::kWeft;

namespace {

constexpr long kDefaultConns = 64;
constexpr int kDefaultRuns = 3;

// Responses the server child has made, in memory shared with it.
std::atomic<long>* g_responses = nullptr;

void serve_weft(int listen_fd, long conns, const bench::TempCertificate& cert) {
  weft::dispatch([&] {
    weft::TlsOptions tls;
    tls.certificate_file = cert.cert();
    tls.private_key_file = cert.key();
    const weft::TlsContext ctx = weft::TlsContext::server(tls);
    weft::http::ServerOptions o;
    o.tcp.max_connections = std::max<std::size_t>(
        o.tcp.max_connections, static_cast<std::size_t>(conns + wrk_load::kReservedFds));
    auto server = weft::http::serve_tls(
        weft::Socket(listen_fd), ctx,
        [](weft::http::Request& req, weft::http::Response& res) {
          g_responses->fetch_add(1, std::memory_order_relaxed);
          http_hello::handle(req, res);
        },
        o);
    server.join(weft::never);
  });
}

wrk_load::Started start(wrk_load::Slot slot, long conns, const bench::TempCertificate& cert) {
  g_responses->store(0);
  wrk_load::Started s;
  sockaddr_in addr;
  s.pid = wrk_load::fork_server(addr, [&](int lfd) {
    if (slot == kWeft) {
      serve_weft(lfd, conns, cert);
    } else {
      count_http_responses(g_responses);
      run_libev_tls(lfd, cert.cert(), cert.key(), make_http_session);
    }
  });
  s.url = "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  s.responses = [](pid_t) { return static_cast<double>(g_responses->load()); };
  return s;
}


}  // namespace

int main(int argc, char** argv) {
  long conns = kDefaultConns;
  bench::Args args = bench::parse(argc, argv, {{"--conns", "N", &conns}});
  if (!bench::has_flag(argc, argv, "--runs")) args.runs = kDefaultRuns;
  if (!wrk_load::have_wrk()) {
    if (!args.json) std::printf("https    skipped: wrk is not installed (apt-get install wrk)\n\n");
    return 0;
  }
  void* shared = ::mmap(nullptr, sizeof(std::atomic<long>), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) wrk_load::fail("mmap: %s", std::strerror(errno));
  g_responses = new (shared) std::atomic<long>(0);
  const long fd_limit = wrk_load::setup("https");
  const bench::TempCertificate cert("https");
  const wrk_load::Timing t{args.scale < 1 ? 0.5 : 1.0, args.scale < 1 ? 1.0 : 3.0};
  if (!args.json) {
    std::printf("https: busy = CPU seconds per second (100%%: a core to itself); server CPU/req"
                " compares the servers even when neither had one\n\n");
  }
  for (const bool close : {false, true}) {
    wrk_load::Load load;
    load.name = "https";
    load.suffix = close ? "_close" : "";
    load.churn = close;
    if (close) load.headers = {"Connection: close"};
    load.what = close ? "HTTPS hello, a TLS handshake per request (Connection: close)"
                      : "HTTPS keep-alive hello";
    load.target = "requests/s >= 0.9x libev + OpenSSL + http-parser (issue 20)";
    load.start = [&cert](wrk_load::Slot slot, long n) { return start(slot, n, cert); };
    const wrk_load::Point p = wrk_load::measure_point(args, load, conns, fd_limit, t);
    if (args.json) {
      wrk_load::print_json(load, p);
    } else {
      wrk_load::print_table(load, p, args.runs, t);
    }
  }
  return 0;
}
