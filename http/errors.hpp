#pragma once
// The exceptions of weft's HTTP module. IO failures underneath (a reset, a
// timeout) come through as io/errors.hpp's and sched's exceptions.

#include "weft/io/errors.hpp"

#include <string>

namespace weft::http {

// An HTTP-level failure that has a status: thrown by a request's body reads
// (413 past the body limit, 408 when the body stops arriving, 400 for a
// malformed body), and by handlers that want a status sent: a handler that
// throws it before its response has started gets that status and `what()` as
// its body. The connection closes after such a response when the request's
// body was not read to its end.
class HttpError : public IoError {
 public:
  HttpError(int status, const std::string& message) : IoError(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

// The peer sent something that is not HTTP (client side: a malformed
// response, or one past the client's limits).
class ProtocolError : public IoError {
 public:
  using IoError::IoError;
};

}  // namespace weft::http
