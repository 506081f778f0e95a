#pragma once
// TlsStream: TLS over a connected Socket, with the socket's blocking-style
// calls and timeouts. A BufferedStream sits on it as on a plain socket.
//
//   // server: in a connection handler
//   weft::TlsStream tls = weft::TlsStream::accept(conn, server_ctx, 10.0);
//   weft::BufferedStream stream(tls);
//   stream.write(stream.read_line() + "\n");
//   stream.flush();
//   tls.close();                             // close_notify, then the socket closes
//
//   // client
//   weft::Socket s = weft::Socket::connect(weft::Endpoint::ip("127.0.0.1", 4433), 5.0);
//   weft::TlsStream tls = weft::TlsStream::connect(s, client_ctx, "localhost", 5.0);
//
// Non-blocking OpenSSL on the socket's fd: a call that would block parks the
// tasklet on the fd's readiness like any socket call. Every call that may
// park takes a Timeout (default: the enclosing DeadlineScope; reads are also
// bounded by the socket's read timeouts, see Socket::set_read_timeouts) and
// throws TimeoutError when it passes, TaskletExit when the tasklet is killed.
// OpenSSL's failures become TlsError; socket failures keep their IoError.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "weft/io/errors.hpp"
#include "weft/io/socket.hpp"
#include "weft/io/tls_context.hpp"
#include "weft/io/transport.hpp"
#include "weft/sched/timeout.hpp"

namespace weft {

namespace detail {
struct TlsSession;
}

// One TLS connection on a socket it does not own. Move-only; loop-thread only.
// Preconditions: the socket outlives the stream and is used only through it
// once the handshake has begun; the stream is moved or destroyed only while
// no tasklet is parked in it. One reader and one writer may run at once, in
// two tasklets. Destroying the stream sends nothing: call close() (or
// shutdown()) for a clean close_notify.
class TlsStream final : public Transport {
 public:
  // Runs the client handshake on a connected socket. `host` is sent as SNI
  // (unless it is an IP address) and, when the context verifies (the
  // default), the server's certificate must be valid for it (a DNS name or an
  // IP address) and chain to a trusted CA. Throws TlsError ("TLS handshake
  // with 127.0.0.1:4433 failed: certificate verify failed (hostname
  // mismatch)"), the socket's IoError, TimeoutError ("TLS handshake with ...
  // timed out"), TaskletExit; std::invalid_argument for an empty host on a
  // verifying context or a server context.
  static TlsStream connect(Socket& socket, const TlsContext& context, std::string_view host,
                           Timeout t = current);
  // Runs the server handshake on an accepted socket. Throws as connect
  // (e.g. "... failed: http request (the peer does not speak TLS)" for a
  // plain-text client); std::invalid_argument for a client context.
  static TlsStream accept(Socket& socket, const TlsContext& context, Timeout t = current);

  // A moved-from stream may only be destroyed or assigned to.
  TlsStream(TlsStream&& o) noexcept;
  TlsStream& operator=(TlsStream&& o) noexcept;
  // Frees the TLS state; sends nothing and leaves the socket open.
  ~TlsStream();

  // Reads up to buf.size() bytes of plaintext, parking until at least one is
  // there. Returns 0 when the peer has sent close_notify (and for an empty
  // buf). Throws EofError when the peer closed the TCP connection without
  // close_notify (unless TlsOptions::ignore_unexpected_eof), TlsError,
  // the socket's IoError, TimeoutError, TaskletExit.
  std::size_t read(std::span<char> buf, Timeout t = current);
  // Fills buf exactly, under one deadline; EofError when the stream ends first.
  void read_exactly(std::span<char> buf, Timeout t = current);
  // Writes some of data (at least one byte, at most one TLS record) and
  // returns how many. Throws TlsError, the socket's IoError, TimeoutError,
  // TaskletExit. After a write has failed (a timeout included) the TLS
  // state may hold half a record: every later write throws TlsError.
  std::size_t write(std::string_view data, Timeout t = current);
  // Writes all of data under one deadline. Throws what write() throws.
  void write_all(std::string_view data, Timeout t = current);

  // Sends close_notify (once): the peer's reads end cleanly. The socket
  // stays open (the peer may still send). Throws what write() throws.
  void shutdown(Timeout t = current);
  // Sends close_notify (unless sent, or the stream has failed), then closes
  // the socket, which happens even when sending fails. IO errors while
  // sending are ignored (the connection ends anyway); TimeoutError and
  // TaskletExit come through.
  void close(Timeout t = current);

  // The ALPN protocol both sides agreed on ("" when none).
  std::string alpn_protocol() const;
  // The SNI name: the one the client sent, as the server saw it, or the one
  // this client sent ("" when none).
  std::string server_name() const;
  // "TLSv1.3", "TLSv1.2".
  std::string protocol_version() const;
  // The negotiated cipher suite, e.g. "TLS_AES_256_GCM_SHA384".
  std::string cipher() const;
  // The peer certificate's subject ("CN=localhost"), "" when it sent none.
  std::string peer_subject() const;
  // True once the peer's close_notify has been read.
  bool peer_closed() const noexcept;

  // Transport (what BufferedStream calls).
  Socket& socket() noexcept override { return *socket_; }
  std::size_t read(void* buf, std::size_t n, detail::LazyDeadline& d) override;
  void wait_readable(detail::LazyDeadline& d) override;
  std::size_t write(const void* data, std::size_t n, detail::LazyDeadline& d) override;
  std::string describe() const override;

 private:
  TlsStream(Socket& socket, const TlsContext& context, bool server);
  void handshake(Timeout t);
  // Parks until the fd is readable (write: writable) after an SSL call
  // wanted it; a timeout names `verb` and the peer ("read from " + peer).
  void park(bool write, detail::LazyDeadline& d, const char* verb);
  // Turns a failed SSL call (its SSL_get_error) into the exception for `what`.
  [[noreturn]] void fail(int ssl_error, const std::string& what, bool eof_error);

  Socket* socket_;
  std::unique_ptr<detail::TlsSession> session_;
};

}  // namespace weft
