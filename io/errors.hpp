#pragma once
// The exceptions of weft's IO layer. Each message says which operation on
// which endpoint failed and why, in words ("read from 127.0.0.1:8080 failed:
// the peer reset the connection (ECONNRESET)"). TimeoutError and TaskletExit
// (sched/errors.hpp) come through IO calls unchanged.

#include "weft/sched/config.hpp"

#include <stdexcept>
#include <string>

namespace weft {

// Base of every IO failure. error_number() keeps the errno behind it for code
// that must branch on it (0 when there is none, e.g. a protocol limit).
class IoError : public std::runtime_error {
 public:
  explicit IoError(const std::string& message, int error_number = 0)
      : std::runtime_error(message), errno_(error_number) {}
  // The errno behind the failure, or 0.
  int error_number() const noexcept { return errno_; }

 private:
  int errno_;
};

// The peer closed the stream before what the call needed had arrived
// (read_exactly, read_bytes, read_until, read_line with nothing left).
class EofError : public IoError {
 public:
  using IoError::IoError;
};

// The peer reset the connection (ECONNRESET), or it was gone when we wrote (EPIPE).
class ConnectionResetError : public IoError {
 public:
  using IoError::IoError;
};

// The socket was closed, by this or another tasklet, before or during the call.
class SocketClosedError : public IoError {
 public:
  using IoError::IoError;
};

// A line (or a read_until frame) grew past the stream's limit without its
// delimiter. The buffered bytes are left in the stream.
class LineTooLongError : public IoError {
 public:
  using IoError::IoError;
};

// A read_bytes(n) asked for more than the stream's limit
// (StreamOptions::max_read_bytes): most likely a length that came from the
// peer. Nothing was read; the stream is as it was.
class ReadLimitError : public IoError {
 public:
  using IoError::IoError;
};

// A host name could not be resolved (getaddrinfo failed).
class ResolveError : public IoError {
 public:
  using IoError::IoError;
};

// A TLS failure (io/tls_stream.hpp): a handshake refused or broken, a
// certificate that did not verify, a protocol error, a key or certificate
// that could not be loaded. The message names the step, the peer and
// OpenSSL's reason ("TLS handshake with 127.0.0.1:4433 failed: certificate
// verify failed (self-signed certificate)").
class TlsError : public IoError {
 public:
  using IoError::IoError;
};

}  // namespace weft
