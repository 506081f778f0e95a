#pragma once
// Transport: the byte stream HTTP runs over. The server and the client speak
// HTTP through this interface only, so that any weft stream carries it: a
// Socket (SocketTransport, here), or a TLS stream (TlsTransport,
// tls_transport.hpp: what serve_tls() and Connection::connect_https() use;
// see http/README.md, "https").
//
// Contract (as Socket's): calls may park the calling tasklet; one tasklet may
// read while another writes; every call takes a Timeout and throws
// TimeoutError when it passes, TaskletExit when killed, IoError subclasses
// for failures. Loop-thread only.

#include "weft/sched/config.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "weft/io/socket.hpp"
#include "weft/sched/timeout.hpp"

namespace weft::http {

class Transport {
 public:
  virtual ~Transport() = default;
  // Reads up to buf.size() bytes, parking until at least one is there; 0 at EOF.
  virtual std::size_t read(std::span<char> buf, Timeout t) = 0;
  // Writes all of data.
  virtual void write_all(std::string_view data, Timeout t) = 0;
  // Ends the sending side once the last response has been written (the peer
  // reads EOF); reads go on. Never throws.
  virtual void shutdown_write() noexcept = 0;
  // Parks until the peer has gone (it closed or reset the connection),
  // reading nothing; bytes that arrive meanwhile do not end the wait. The
  // server waits so while it reads no more requests (max_pipelined), to
  // notice a client that left and cancel its handlers. Returns at once when
  // the peer has gone already. This default cannot tell: it parks until `t`
  // passes (TimeoutError) or the tasklet is killed.
  virtual void wait_hang_up(Timeout t);
  // Tears the connection down now: a read parked in another tasklet returns
  // or throws, and later calls fail. Never throws.
  virtual void abort() noexcept = 0;
  // Names the peer in messages ("127.0.0.1:41234").
  virtual std::string describe() const = 0;
};

// A Transport over a Socket it does not own (the socket outlives it).
class SocketTransport final : public Transport {
 public:
  explicit SocketTransport(Socket& s) noexcept : socket_(&s) {}
  std::size_t read(std::span<char> buf, Timeout t) override { return socket_->read(buf, t); }
  void write_all(std::string_view data, Timeout t) override { socket_->write_all(data, t); }
  void wait_hang_up(Timeout t) override { socket_->wait_hang_up(t); }
  void shutdown_write() noexcept override;
  void abort() noexcept override;
  std::string describe() const override;
  Socket& socket() noexcept { return *socket_; }

 private:
  Socket* socket_;
};

}  // namespace weft::http
