#pragma once
// What remote sends and calls throw besides weft's own TimeoutError and
// TaskletExit. A call that fails for a reason of the other side is a
// CallError, as a local call to a gone tasklet is, so `catch (const
// weft::CallError&)` covers local and remote calls alike.

#include "weft/sched/config.hpp"

#include <stdexcept>
#include <string>

#include "weft/mailbox/call_error.hpp"

namespace weft::remote {

// connect() could not reach the NATS server in time, or a send could not be
// handed to the connection (it is closed).
class ConnectionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// No tasklet is registered under the name (lookup, or a later call or send
// whose name has gone from every process on the server).
class NameNotFound : public CallError {
 public:
  using CallError::CallError;
};

// Bytes that do not decode as the type asked for: thrown by Decoder and the
// codecs, by a call whose reply does not decode as R, and by a call whose
// message the other side could not decode (its message names the type and why).
class DecodeError : public CallError {
 public:
  using CallError::CallError;
};

// The remote handler answered with reply_error() (or its call failed there
// for a reason of its own): type() is the remote exception's type name
// ("std::runtime_error", "weft::TimeoutError"), what() says which call failed
// and carries the remote message.
class RemoteError : public CallError {
 public:
  RemoteError(std::string type, std::string remote_message, const std::string& what)
      : CallError(what), type_(std::move(type)), message_(std::move(remote_message)) {}
  const std::string& type() const noexcept { return type_; }
  const std::string& remote_message() const noexcept { return message_; }

 private:
  std::string type_;
  std::string message_;
};

}  // namespace weft::remote
