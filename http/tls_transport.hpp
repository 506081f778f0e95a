#pragma once
// TlsTransport: the Transport of https, over a TlsStream it does not own (the
// stream, and the socket under it, outlive it). What serve_tls() and
// Connection::connect_https() run HTTP over; usable with serve_connection()
// and Connection's constructor for a TLS stream made by hand:
//
//   weft::TlsStream tls = weft::TlsStream::accept(conn, ctx, 10.0);
//   weft::http::TlsTransport t(tls);
//   weft::http::serve_connection(t, handler, options);
//   tls.close(0.0);
//
// Built with OpenSSL only (as io/tls_stream.hpp).

#include "weft/sched/config.hpp"

#include "weft/http/transport.hpp"
#include "weft/io/tls_stream.hpp"

namespace weft::http {

class TlsTransport final : public Transport {
 public:
  explicit TlsTransport(TlsStream& s) noexcept : tls_(&s) {}
  // 0 once the peer has sent close_notify; EofError when it closed the TCP
  // connection without one (see TlsStream::read).
  std::size_t read(std::span<char> buf, Timeout t) override { return tls_->read(buf, t); }
  void write_all(std::string_view data, Timeout t) override { tls_->write_all(data, t); }
  // The TCP connection's end (a close_notify alone, with the connection
  // left open, is not seen: it is data to read).
  void wait_hang_up(Timeout t) override { tls_->socket().wait_hang_up(t); }
  // Sends close_notify when the socket takes it now (never parks; a peer
  // that does not read gets the TCP close alone).
  void shutdown_write() noexcept override;
  // Closes the socket under the stream (a tasklet parked in it wakes).
  void abort() noexcept override;
  std::string describe() const override { return tls_->describe(); }
  TlsStream& stream() noexcept { return *tls_; }

 private:
  TlsStream* tls_;
};

}  // namespace weft::http
