// tls: TLS echo of 64-byte messages at N connections (tls_echo_c<N>, round
// trips/s, N = 64 unless --conns), and a TLS handshake per connection
// (tls_handshake_c<N>, connections/s: connect, handshake, one round trip,
// close_notify both ways). weft's server (io/tls_stream.hpp: one tasklet per
// connection, TlsStream::accept, blocking-style read/write_all, via
// weft::serve) against the floor, raw libev callbacks with non-blocking
// OpenSSL (tls_libev.cpp). Beside each throughput figure, the server's CPU
// time per operation (/proc/<pid>/stat) and the generator's own.
//
// Each server runs in a child process on a listening socket made here; the
// generator is this process, a weft client (N tasklets, verification off so
// that it costs no more than it must). Both servers face the same generator,
// alternately, in the same run; the median of --runs runs is reported. The
// certificate (ECDSA P-256) is made with the openssl program in a temporary
// directory. On a machine of two cores generator and server share it: the
// figures say something only while the generator costs no more per
// operation than the servers (it is printed).

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_cert.hpp"
#include "bench/bench_net.hpp"
#include "bench/bench_util.hpp"
#include "bench/echo_process.hpp"
#include "bench/libev_servers.hpp"
#include "io/server.hpp"
#include "io/tls_stream.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

using namespace echo_bench;

namespace {

constexpr double kWarmup = 0.3;   // seconds before the window
constexpr double kWindow = 2.0;   // seconds measured (scaled by --quick)
constexpr std::size_t kMessage = 64;

int run_weft_tls(int listen_fd, const bench::TempCertificate& f) {
  return weft::dispatch([&] {
    weft::TlsOptions o;
    o.certificate_file = f.cert();
    o.private_key_file = f.key();
    const weft::TlsContext ctx = weft::TlsContext::server(o);
    weft::Server server = weft::serve(weft::Socket(listen_fd), [&](weft::Socket& conn) {
      weft::TlsStream tls = weft::TlsStream::accept(conn, ctx, 10.0);
      char buf[4096];
      for (;;) {
        const std::size_t n = tls.read({buf, sizeof buf});
        if (n == 0) break;
        tls.write_all({buf, n});
      }
      tls.close();
    });
    server.join(weft::never);
  });
}

pid_t start_server(int listen_fd, bool weft_impl, const bench::TempCertificate& f) {
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::signal(SIGPIPE, SIG_IGN);
    std::fflush(stdout);
    ::_exit(weft_impl ? run_weft_tls(listen_fd, f)
                      : run_libev_tls(listen_fd, f.cert(), f.key(), make_echo_session));
  }
  g_child = pid;
  return pid;
}

struct Figures {
  double per_second = 0;     // round trips or connections
  double server_us = 0;      // server CPU per operation, µs
  double generator_us = 0;   // generator CPU per operation, µs
};

// One measurement: N client tasklets against the server on `port`.
Figures measure(std::uint16_t port, long conns, bool handshakes, double window, pid_t server) {
  Figures out;
  weft::dispatch([&] {
    weft::TlsOptions o;
    o.verify_peer = false;
    const weft::TlsContext ctx = weft::TlsContext::client(o);
    const weft::Endpoint at = weft::Endpoint::ip("127.0.0.1", port);
    bool stop = false;
    bool counting = false;
    long ops = 0;
    const std::string msg(kMessage, 'x');
    auto echo = [&](weft::TlsStream& tls) {
      char back[kMessage];
      tls.write_all(msg, 10.0);
      tls.read_exactly({back, kMessage}, 10.0);
    };
    std::vector<weft::Tasklet> clients;
    for (long i = 0; i < conns; ++i) {
      clients.push_back(weft::Tasklet::spawn([&] {
        if (handshakes) {
          while (!stop) {
            weft::Socket s = weft::Socket::connect(at, 10.0);
            weft::TlsStream tls = weft::TlsStream::connect(s, ctx, "localhost", 10.0);
            echo(tls);
            tls.shutdown(10.0);
            char c;
            tls.read({&c, 1}, 10.0);  // the server's close_notify: it closes first
            s.close_with_reset();     // no TIME_WAIT on either side
            ops += counting;
          }
        } else {
          weft::Socket s = weft::Socket::connect(at, 10.0);
          weft::TlsStream tls = weft::TlsStream::connect(s, ctx, "localhost", 10.0);
          while (!stop) {
            echo(tls);
            ops += counting;
          }
          tls.close(10.0);
        }
      }));
    }
    weft::Tasklet::sleep(kWarmup);
    counting = true;
    const double cpu0 = process_cpu_seconds(server);
    const double own0 = own_cpu_seconds();
    const auto t0 = weft::now();
    weft::Tasklet::sleep(window);
    counting = false;
    const double elapsed = std::chrono::duration<double>(weft::now() - t0).count();
    const double cpu = process_cpu_seconds(server) - cpu0;
    const double own = own_cpu_seconds() - own0;
    const long n = ops;
    stop = true;
    for (auto& c : clients) weft::Tasklet::join(c, 30.0);
    out.per_second = static_cast<double>(n) / elapsed;
    out.server_us = n > 0 ? cpu / static_cast<double>(n) * 1e6 : 0;
    out.generator_us = n > 0 ? own / static_cast<double>(n) * 1e6 : 0;
  });
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  long conns = 64;
  const bench::Args a = bench::parse(argc, argv, {{"--conns", "N", &conns}});
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGINT, on_fatal_signal);
  ::signal(SIGTERM, on_fatal_signal);
  const bench::TempCertificate files("tls");
  const double window = kWindow * a.scale < 0.5 ? 0.5 : kWindow * a.scale;
  const char* impls[] = {"weft", "libev"};
  for (const bool handshakes : {false, true}) {
    std::vector<double> rate[2], server[2], generator[2];
    for (int run = 0; run < a.runs; ++run) {
      for (int i = 0; i < 2; ++i) {
        if (!a.only.empty() && a.only != impls[i]) continue;
        sockaddr_in addr{};
        const int fd = bench::make_loopback_listener(addr, "tls");
        const pid_t pid = start_server(fd, i == 0, files);
        ::close(fd);
        const Figures f = measure(ntohs(addr.sin_port), conns, handshakes, window, pid);
        stop_child();
        rate[i].push_back(f.per_second);
        server[i].push_back(f.server_us);
        generator[i].push_back(f.generator_us);
      }
    }
    const std::string name = std::string(handshakes ? "tls_handshake_c" : "tls_echo_c") +
                             std::to_string(conns);
    std::vector<std::string> names;
    std::vector<double> rates, cpus;
    for (int i = 0; i < 2; ++i) {
      if (rate[i].empty()) continue;
      names.push_back(impls[i]);
      rates.push_back(bench::median(rate[i]));
      cpus.push_back(bench::median(server[i]));
      if (!a.json) {
        std::printf("%s %s: generator CPU %.1f µs per %s\n", name.c_str(), impls[i],
                    bench::median(generator[i]), handshakes ? "connection" : "round trip");
      }
    }
    const char* unit = handshakes ? "conn/s" : "rt/s";
    bench::report(a, name.c_str(), unit,
                  handshakes ? "TLS connections (handshake, one round trip, close_notify)"
                             : "TLS echo round trips of 64 B",
                  names, rates, false, "weft >= 0.9x the libev + OpenSSL floor (issue 20's https)");
    bench::report(a, (name + "_cpu").c_str(), "us",
                  "server CPU per operation", names, cpus, true, "weft <= 1.1x the floor");
  }
  return 0;
}
