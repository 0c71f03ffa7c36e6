//===- Status.h - Errors without exceptions ---------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The runtime reports every failure as a value: an Error carries one
// sentence for the user (what was expected, what was found, where), and
// Expected<T> holds either a T or that Error.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_STATUS_H
#define MLRT_STATUS_H

#include <cassert>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

namespace mlrt {

/// A failure with a message built by streaming: Error() << "expected " << n.
class Error {
public:
  Error() = default;
  explicit Error(std::string message) : message_(std::move(message)) {}

  template <typename T> Error &operator<<(const T &value) & {
    std::ostringstream os;
    os << value;
    message_ += os.str();
    return *this;
  }
  template <typename T> Error &&operator<<(const T &value) && {
    *this << value;
    return std::move(*this);
  }

  const std::string &message() const { return message_; }

private:
  std::string message_;
};

/// Success or an Error.
class Status {
public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}
  static Status ok() { return Status(); }

  explicit operator bool() const { return !error_; }
  bool failed() const { return error_.has_value(); }
  const std::string &message() const { return error_->message(); }
  Error takeError() { return std::move(*error_); }

private:
  std::optional<Error> error_;
};

/// A T or the Error that prevented producing it.
template <typename T> class Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  Expected(Error error) : error_(std::move(error)) {}

  explicit operator bool() const { return value_.has_value(); }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }

  const std::string &message() const { return error_->message(); }
  Error takeError() {
    assert(error_ && "no error to take");
    return std::move(*error_);
  }

private:
  std::optional<T> value_;
  std::optional<Error> error_;
};

} // namespace mlrt

/// Returns the error of a failed Status from the enclosing function.
#define MLRT_RETURN_IF_ERROR(expr)                                             \
  do {                                                                         \
    ::mlrt::Status mlrtStatus_ = (expr);                                       \
    if (mlrtStatus_.failed())                                                  \
      return mlrtStatus_.takeError();                                          \
  } while (0)

#endif // MLRT_STATUS_H
