// The raw libev callback servers, the floor of the network benchmarks: each
// serves `listen_fd` until the process is killed. A floor is a transport
// (plain TCP, or TLS on non-blocking OpenSSL) carrying a protocol (echo,
// HTTP "hello"): the transports take the protocol as a FloorSession, so the
// http, tls and https floors share their code.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

namespace bench {

// What one floor connection does with the bytes it reads.
class FloorSession {
 public:
  virtual ~FloorSession() = default;
  // Appends to `out` the answer to `n` bytes that arrived (nothing while a
  // request is incomplete). False: the input is malformed; the connection closes.
  virtual bool on_data(const char* data, std::size_t n, std::string& out) = 0;
  // Once true, the connection ends when `out` has been written (HTTP's
  // "Connection: close").
  bool close_after = false;
};

using SessionFactory = std::unique_ptr<FloorSession> (*)();

}  // namespace bench

int run_libev_echo(int listen_fd, void (*on_echo)() = nullptr);  // echo_libev.cpp

// http_libev.cpp (needs http-parser): the hello routes ("/" 200, else 404;
// keep-alive unless the request says otherwise), over plain TCP.
std::unique_ptr<bench::FloorSession> make_http_session();
int run_libev_http(int listen_fd);
// Counts every response the http sessions of this process make, from now on
// (nullptr: none; the https benchmark reads it from its parent process).
void count_http_responses(std::atomic<long>* counter);

// tls_libev.cpp: TLS with the certificate chain `cert` and the key `key`
// (PEM files), each connection carrying a session from `make`.
std::unique_ptr<bench::FloorSession> make_echo_session();
int run_libev_tls(int listen_fd, const std::string& cert, const std::string& key,
                  bench::SessionFactory make);
