/*
 * natsrs.hpp - a header-only C++17 wrapper over the libnatsrs C API (natsrs.h).
 *
 *   natsrs::options opts;
 *   opts.url("nats://127.0.0.1:4222").name("app");
 *   natsrs::connection nc = natsrs::connection::connect(opts);
 *   auto sub = nc.subscribe("greet.*", [](const natsrs::msg_view &m) { ... });
 *   nc.publish("greet.joe", "hello");
 *   natsrs::msg reply = nc.request("help", "?", std::chrono::seconds(1));
 *
 * Rules:
 *  - Handles (options, connection, subscription, msg) own their C object: move-only, freed by the
 *    destructor (natsrs_*_free: a subscription unsubscribes, a connection closes).
 *  - Strings in are std::string_view (copied to a NUL-terminated buffer for the call); payloads are
 *    natsrs::bytes, a view built from a string_view, a (pointer, size) pair or any contiguous
 *    container of 1-byte elements (std::vector<uint8_t>, std::array<char, N>, std::string, ...).
 *  - A failed call throws natsrs::error (status() and what() = natsrs_last_error_message()).
 *  - Callbacks are std::function. They run on library threads (see the README's threading rules);
 *    an exception escaping a callback is caught at the boundary (it must not unwind into the
 *    library) and reported to natsrs::set_callback_exception_handler's function (default: stderr).
 *  - Times are std::chrono::milliseconds.
 *  - msg_view (what a handler gets) is borrowed for the duration of the call; msg owns its message.
 *
 * Link with libnatsrs as for C (pkg-config natsrs, or CMake natsrs::natsrs).
 */
#ifndef NATSRS_HPP
#define NATSRS_HPP

#include <natsrs.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace natsrs {

/* ---- errors ------------------------------------------------------------------------------ */

/** A failed libnatsrs call: the status and the library's detail message. */
class error : public std::runtime_error {
 public:
  error(natsrs_status status, const std::string &message)
      : std::runtime_error(message.empty() ? std::string(natsrs_status_str(status)) : message), status_(status) {}
  /** The natsrs_status the call returned. */
  natsrs_status status() const noexcept { return status_; }
  /** Static text of the status, e.g. "timeout". */
  const char *status_text() const noexcept { return natsrs_status_str(status_); }

 private:
  natsrs_status status_;
};

/** Throws natsrs::error unless `status` is NATSRS_STATUS_OK. */
inline void check(natsrs_status status) {
  if (status != NATSRS_STATUS_OK) throw error(status, natsrs_last_error_message());
}

/** The library's version at run time ("0.1.0"). */
inline std::string_view version() noexcept { return natsrs_version(); }

/** Throws natsrs::error unless the library loaded at run time can serve this header's version. */
inline void check_compatibility() { check(NATSRS_CHECK_COMPATIBILITY()); }

/** What happens to an exception that escapes a callback (it cannot cross into the library). */
using callback_exception_handler = void (*)(const char *where, std::exception_ptr e);

namespace detail {
inline void default_callback_exception(const char *where, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception &ex) {
    std::fprintf(stderr, "natsrs.hpp: exception escaped the %s: %s\n", where, ex.what());
  } catch (...) {
    std::fprintf(stderr, "natsrs.hpp: exception escaped the %s\n", where);
  }
}
inline callback_exception_handler &exception_sink() {
  static callback_exception_handler sink = default_callback_exception;
  return sink;
}
}  // namespace detail

/** Sets the function that gets exceptions escaping callbacks (NULL restores the default). */
inline void set_callback_exception_handler(callback_exception_handler h) noexcept {
  detail::exception_sink() = h ? h : detail::default_callback_exception;
}

/* ---- argument helpers -------------------------------------------------------------------- */

namespace detail {
/** Strings shorter than this are copied to the stack for a call (see zstr). */
constexpr std::size_t small_string = 128;
/** First and largest buffer for strings the library writes into a caller's buffer. */
constexpr std::size_t first_string_buffer = 256;
constexpr std::size_t max_string_buffer = std::size_t{1} << 20;

/** A NUL-terminated copy of a string_view for one call (short strings stay on the stack). */
class zstr {
 public:
  explicit zstr(std::string_view s) {
    if (s.size() < sizeof(small_)) {
      std::memcpy(small_, s.data(), s.size());
      small_[s.size()] = '\0';
      p_ = small_;
    } else {
      big_.assign(s.data(), s.size());
      p_ = big_.c_str();
    }
  }
  zstr(const zstr &) = delete;
  zstr &operator=(const zstr &) = delete;
  const char *c_str() const noexcept { return p_; }

 private:
  char small_[small_string];
  std::string big_;
  const char *p_;
};

template <typename T, void (*Free)(T *)>
struct deleter {
  void operator()(T *p) const noexcept { Free(p); }
};

inline std::int64_t ms(std::chrono::milliseconds d) noexcept { return static_cast<std::int64_t>(d.count()); }

/** Calls a C function that writes a NUL-terminated string into (buf, len), growing on BUFFER_TOO_SMALL. */
template <typename F>
std::string read_string(F &&f) {
  std::vector<char> buf(first_string_buffer);
  for (;;) {
    natsrs_status s = f(buf.data(), buf.size());
    if (s == NATSRS_STATUS_BUFFER_TOO_SMALL && buf.size() < max_string_buffer) {
      buf.resize(buf.size() * 4);
      continue;
    }
    check(s);
    return std::string(buf.data());
  }
}

/** A callback given to the library: userdata is a heap std::shared_ptr<Fn>. */
template <typename Fn>
struct callback_box {
  static void release(void *userdata) { delete static_cast<std::shared_ptr<Fn> *>(userdata); }
  static Fn &get(void *userdata) { return **static_cast<std::shared_ptr<Fn> *>(userdata); }
};

/** Registers `fn` with `reg(userdata, userdata_free)`. When the call fails, the userdata is
 *  released here unless the library already released it (the weak pointer tells). */
template <typename Fn, typename Reg>
natsrs_status register_callback(Fn fn, Reg &&reg) {
  auto sp = std::make_shared<Fn>(std::move(fn));
  std::weak_ptr<Fn> alive = sp;
  auto *ud = new std::shared_ptr<Fn>(std::move(sp));
  natsrs_status s = reg(static_cast<void *>(ud), &callback_box<Fn>::release);
  if (s != NATSRS_STATUS_OK && !alive.expired()) delete ud;
  return s;
}
}  // namespace detail

/** A read-only view of bytes: the payload argument of publish, request and respond. */
class bytes {
 public:
  constexpr bytes() noexcept = default;
  bytes(const void *data, std::size_t size) noexcept : data_(static_cast<const std::uint8_t *>(data)), size_(size) {}
  bytes(std::string_view s) noexcept : bytes(s.data(), s.size()) {}
  bytes(const char *s) noexcept : bytes(std::string_view(s)) {}
  /** Any contiguous container of 1-byte elements (vector<uint8_t>, array<char, N>, string, ...). */
  template <typename C, typename = std::enable_if_t<sizeof(*std::declval<const C &>().data()) == 1 &&
                                                    std::is_convertible_v<decltype(std::declval<const C &>().size()), std::size_t>>>
  bytes(const C &c) noexcept : bytes(c.data(), c.size()) {}

  const std::uint8_t *data() const noexcept { return size_ ? data_ : nullptr; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::string_view str() const noexcept { return {reinterpret_cast<const char *>(data_), size_}; }

 private:
  const std::uint8_t *data_ = nullptr;
  std::size_t size_ = 0;
};

/* ---- messages ---------------------------------------------------------------------------- */

class msg;

/** A message the caller does not own (a handler's argument; valid for the call). */
class msg_view {
 public:
  explicit msg_view(const natsrs_msg *m) noexcept : m_(m) {}

  std::string_view subject() const noexcept { return sv(natsrs_msg_subject(m_)); }
  /** The reply subject; empty when there is none. */
  std::string_view reply() const noexcept { return sv(natsrs_msg_reply(m_)); }
  bool has_reply() const noexcept { return natsrs_msg_reply(m_) != nullptr; }
  /** The payload. */
  bytes data() const noexcept { return bytes(natsrs_msg_data(m_), natsrs_msg_data_len(m_)); }
  /** The payload as text (no copy). */
  std::string_view text() const noexcept { return data().str(); }
  /** Inline status (503, 404, ...) or 0. */
  int status_code() const noexcept { return natsrs_msg_status_code(m_); }
  /** First value of header `key`, if present. */
  std::optional<std::string_view> header(std::string_view key) const {
    detail::zstr k(key);
    const char *v = nullptr;
    natsrs_status s = natsrs_msg_header_get(m_, k.c_str(), &v);
    if (s == NATSRS_STATUS_NOT_FOUND) return std::nullopt;
    check(s);
    return sv(v);
  }
  /** All values of header `key` (empty when absent). */
  std::vector<std::string_view> header_values(std::string_view key) const {
    detail::zstr k(key);
    const char *const *vals = nullptr;
    std::size_t n = 0;
    natsrs_status s = natsrs_msg_header_values(m_, k.c_str(), &vals, &n);
    if (s == NATSRS_STATUS_NOT_FOUND) return {};
    check(s);
    return std::vector<std::string_view>(vals, vals + n);
  }
  /** Publishes `data` to the message's reply subject. */
  void respond(bytes data) const { check(natsrs_msg_respond(m_, data.data(), data.size())); }
  /** An owned copy. */
  msg clone() const;
  const natsrs_msg *c_ptr() const noexcept { return m_; }

 protected:
  static std::string_view sv(const char *s) noexcept { return s ? std::string_view(s) : std::string_view(); }
  const natsrs_msg *m_;
};

/** An owned message (from request, next_msg, create or clone). Move-only. */
class msg : public msg_view {
 public:
  /** Takes ownership of `m` (released with natsrs_msg_free). */
  explicit msg(natsrs_msg *m) noexcept : msg_view(m) {}
  msg(msg &&o) noexcept : msg_view(o.m_) { o.m_ = nullptr; }
  msg &operator=(msg &&o) noexcept {
    if (this != &o) {
      natsrs_msg_free(mut());
      m_ = o.m_;
      o.m_ = nullptr;
    }
    return *this;
  }
  msg(const msg &) = delete;
  msg &operator=(const msg &) = delete;
  ~msg() { natsrs_msg_free(mut()); }

  /** A new message to publish (`reply` may be empty). */
  static msg create(std::string_view subject, bytes data, std::string_view reply = {}) {
    detail::zstr s(subject), r(reply);
    natsrs_msg *m = nullptr;
    check(natsrs_msg_create(s.c_str(), reply.empty() ? nullptr : r.c_str(), data.data(), data.size(), &m));
    return msg(m);
  }
  /** Sets header `key` to one value (replacing others). */
  msg &header_set(std::string_view key, std::string_view value) {
    detail::zstr k(key), v(value);
    check(natsrs_msg_header_set(mut(), k.c_str(), v.c_str()));
    return *this;
  }
  /** Adds a value to header `key`. */
  msg &header_add(std::string_view key, std::string_view value) {
    detail::zstr k(key), v(value);
    check(natsrs_msg_header_add(mut(), k.c_str(), v.c_str()));
    return *this;
  }
  /** Gives up ownership. */
  natsrs_msg *release() noexcept {
    natsrs_msg *p = mut();
    m_ = nullptr;
    return p;
  }

 private:
  // The view keeps a const pointer; the owner created it from a mutable one.
  natsrs_msg *mut() const noexcept { return const_cast<natsrs_msg *>(m_); }
};

inline msg msg_view::clone() const {
  natsrs_msg *m = nullptr;
  check(natsrs_msg_clone(m_, &m));
  return msg(m);
}

/* ---- options ----------------------------------------------------------------------------- */

class connection;

/** Connection options (natsrs_options). Setters return *this for chaining. */
class options {
 public:
  options() {
    natsrs_options *o = nullptr;
    check(natsrs_options_new(&o));
    p_.reset(o);
  }
  options &url(std::string_view urls) { return set(natsrs_options_set_url, urls); }
  options &name(std::string_view name) { return set(natsrs_options_set_name, name); }
  options &inbox_prefix(std::string_view prefix) { return set(natsrs_options_set_inbox_prefix, prefix); }
  options &token(std::string_view token) { return set(natsrs_options_set_token, token); }
  options &user_info(std::string_view user, std::string_view password) {
    detail::zstr u(user), p(password);
    check(natsrs_options_set_user_info(p_.get(), u.c_str(), p.c_str()));
    return *this;
  }
  options &credentials_file(std::string_view path) { return set(natsrs_options_set_user_credentials_file, path); }
  options &nkey_seed_file(std::string_view path) { return set(natsrs_options_set_nkey_seed_file, path); }
  options &tls_ca_file(std::string_view path) { return set(natsrs_options_set_tls_ca_file, path); }
  options &tls_client_cert_file(std::string_view cert, std::string_view key) {
    detail::zstr c(cert), k(key);
    check(natsrs_options_set_tls_client_cert_file(p_.get(), c.c_str(), k.c_str()));
    return *this;
  }
  options &tls_required(bool on) { return flag(natsrs_options_set_tls_required, on); }
  options &no_echo(bool on) { return flag(natsrs_options_set_no_echo, on); }
  options &allow_reconnect(bool on) { return flag(natsrs_options_set_allow_reconnect, on); }
  options &no_randomize(bool on) { return flag(natsrs_options_set_no_randomize, on); }
  options &retry_on_failed_connect(bool on) { return flag(natsrs_options_set_retry_on_failed_connect, on); }
  options &max_reconnect(std::int64_t n) {
    check(natsrs_options_set_max_reconnect(p_.get(), n));
    return *this;
  }
  options &reconnect_wait(std::chrono::milliseconds d) { return dur(natsrs_options_set_reconnect_wait_ms, d); }
  options &connect_timeout(std::chrono::milliseconds d) { return dur(natsrs_options_set_connect_timeout_ms, d); }
  options &ping_interval(std::chrono::milliseconds d) { return dur(natsrs_options_set_ping_interval_ms, d); }
  options &drain_timeout(std::chrono::milliseconds d) { return dur(natsrs_options_set_drain_timeout_ms, d); }
  options &pending_limits(std::int64_t msgs, std::int64_t bytes) {
    check(natsrs_options_set_pending_limits(p_.get(), msgs, bytes));
    return *this;
  }

  /** Runs when a connection made from these options is closed for good. */
  options &on_closed(std::function<void()> fn) { return event(natsrs_options_set_closed_handler, std::move(fn)); }
  options &on_reconnected(std::function<void()> fn) {
    return event(natsrs_options_set_reconnected_handler, std::move(fn));
  }
  /** Runs on a disconnect with its cause (e.g. NATSRS_STATUS_IO). */
  options &on_disconnected(std::function<void(natsrs_status)> fn) {
    using Fn = std::function<void(natsrs_status)>;
    check(detail::register_callback(std::move(fn), [&](void *ud, natsrs_userdata_free rel) {
      return natsrs_options_set_disconnected_handler(
          p_.get(),
          [](void *u, natsrs_connection *, natsrs_status st, const char *) {
            try {
              detail::callback_box<Fn>::get(u)(st);
            } catch (...) {
              detail::exception_sink()("disconnected handler", std::current_exception());
            }
          },
          ud, rel);
    }));
    return *this;
  }
  /** Runs for asynchronous errors (slow consumer, permission violation, ...). */
  options &on_error(std::function<void(natsrs_status, std::string_view)> fn) {
    using Fn = std::function<void(natsrs_status, std::string_view)>;
    check(detail::register_callback(std::move(fn), [&](void *ud, natsrs_userdata_free rel) {
      return natsrs_options_set_error_handler(
          p_.get(),
          [](void *u, natsrs_connection *, natsrs_subscription *, natsrs_status st, const char *text) {
            try {
              detail::callback_box<Fn>::get(u)(st, text ? std::string_view(text) : std::string_view());
            } catch (...) {
              detail::exception_sink()("error handler", std::current_exception());
            }
          },
          ud, rel);
    }));
    return *this;
  }

  const natsrs_options *c_ptr() const noexcept { return p_.get(); }
  natsrs_options *c_ptr() noexcept { return p_.get(); }

 private:
  options &set(natsrs_status (*fn)(natsrs_options *, const char *), std::string_view v) {
    detail::zstr z(v);
    check(fn(p_.get(), z.c_str()));
    return *this;
  }
  options &flag(natsrs_status (*fn)(natsrs_options *, bool), bool on) {
    check(fn(p_.get(), on));
    return *this;
  }
  options &dur(natsrs_status (*fn)(natsrs_options *, std::int64_t), std::chrono::milliseconds d) {
    check(fn(p_.get(), detail::ms(d)));
    return *this;
  }
  options &event(natsrs_status (*fn)(natsrs_options *, natsrs_connection_handler, void *, natsrs_userdata_free), std::function<void()> cb) {
    using Fn = std::function<void()>;
    check(detail::register_callback(std::move(cb), [&](void *ud, natsrs_userdata_free rel) {
      return fn(
          p_.get(),
          [](void *u, natsrs_connection *) {
            try {
              detail::callback_box<Fn>::get(u)();
            } catch (...) {
              detail::exception_sink()("connection event handler", std::current_exception());
            }
          },
          ud, rel);
    }));
    return *this;
  }

  std::unique_ptr<natsrs_options, detail::deleter<natsrs_options, natsrs_options_free>> p_;
};

/* ---- subscriptions ----------------------------------------------------------------------- */

/** A subscription (natsrs_subscription). Destroying it unsubscribes. Move-only. */
class subscription {
 public:
  subscription() noexcept = default;
  /** Takes ownership of `s`. */
  explicit subscription(natsrs_subscription *s) noexcept : p_(s) {}

  /** The next message of a sync subscription, waiting at most `timeout` (error TIMEOUT). */
  msg next_msg(std::chrono::milliseconds timeout) {
    natsrs_msg *m = nullptr;
    check(natsrs_subscription_next_msg(p_.get(), detail::ms(timeout), &m));
    return msg(m);
  }
  /** Like next_msg, but an empty optional on timeout. */
  std::optional<msg> try_next_msg(std::chrono::milliseconds timeout) {
    natsrs_msg *m = nullptr;
    natsrs_status s = natsrs_subscription_next_msg(p_.get(), detail::ms(timeout), &m);
    if (s == NATSRS_STATUS_TIMEOUT) return std::nullopt;
    check(s);
    return msg(m);
  }
  void unsubscribe() { check(natsrs_subscription_unsubscribe(p_.get())); }
  void auto_unsubscribe(std::uint64_t max) { check(natsrs_subscription_auto_unsubscribe(p_.get(), max)); }
  /** Stops interest, delivers what is queued; drain_wait waits for the end. */
  void drain() { check(natsrs_subscription_drain(p_.get())); }
  void drain_wait(std::chrono::milliseconds timeout) { check(natsrs_subscription_drain_wait(p_.get(), detail::ms(timeout))); }
  void set_pending_limits(std::int64_t msgs, std::int64_t bytes) { check(natsrs_subscription_set_pending_limits(p_.get(), msgs, bytes)); }
  std::uint64_t delivered() const {
    std::uint64_t n = 0;
    check(natsrs_subscription_delivered(p_.get(), &n));
    return n;
  }
  std::uint64_t dropped() const {
    std::uint64_t n = 0;
    check(natsrs_subscription_dropped(p_.get(), &n));
    return n;
  }
  std::string_view subject() const noexcept {
    const char *s = natsrs_subscription_subject(p_.get());
    return s ? std::string_view(s) : std::string_view();
  }
  bool is_valid() const noexcept { return p_ && natsrs_subscription_is_valid(p_.get()); }
  explicit operator bool() const noexcept { return static_cast<bool>(p_); }
  natsrs_subscription *c_ptr() const noexcept { return p_.get(); }
  /** Gives up ownership. */
  natsrs_subscription *release() noexcept { return p_.release(); }

 private:
  std::unique_ptr<natsrs_subscription, detail::deleter<natsrs_subscription, natsrs_subscription_free>> p_;
};

/** Connection statistics. */
using statistics = natsrs_statistics;

/* ---- connections ------------------------------------------------------------------------- */

/** A connection (natsrs_connection). Destroying it closes it. Move-only. */
class connection {
 public:
  /** Message handler of an async subscription (runs on its dispatcher thread). */
  using msg_handler = std::function<void(const msg_view &)>;

  connection() noexcept = default;
  /** Takes ownership of `nc`. */
  explicit connection(natsrs_connection *nc) noexcept : p_(nc) {}

  static connection connect(const options &opts) {
    natsrs_connection *nc = nullptr;
    check(natsrs_connection_connect(opts.c_ptr(), &nc));
    return connection(nc);
  }
  /** Connects to a comma-separated URL list with default options. */
  static connection connect(std::string_view urls) {
    detail::zstr u(urls);
    natsrs_connection *nc = nullptr;
    check(natsrs_connection_connect_to(u.c_str(), &nc));
    return connection(nc);
  }

  void publish(std::string_view subject, bytes data) {
    detail::zstr s(subject);
    check(natsrs_connection_publish(p_.get(), s.c_str(), data.data(), data.size()));
  }
  /** Publishes with a reply subject. */
  void publish(std::string_view subject, std::string_view reply, bytes data) {
    detail::zstr s(subject), r(reply);
    check(natsrs_connection_publish_request(p_.get(), s.c_str(), r.c_str(), data.data(), data.size()));
  }
  /** Publishes a message (subject, reply, headers, data). */
  void publish(const msg_view &m) { check(natsrs_connection_publish_msg(p_.get(), m.c_ptr())); }

  /** An async subscription: `handler` runs for each message. */
  subscription subscribe(std::string_view subject, msg_handler handler) { return async_sub(subject, nullptr, std::move(handler)); }
  subscription queue_subscribe(std::string_view subject, std::string_view queue, msg_handler handler) {
    return async_sub(subject, &queue, std::move(handler));
  }
  /** A sync subscription: read it with next_msg. */
  subscription subscribe_sync(std::string_view subject) {
    detail::zstr s(subject);
    natsrs_subscription *sub = nullptr;
    check(natsrs_connection_subscribe_sync(p_.get(), s.c_str(), &sub));
    return subscription(sub);
  }
  subscription queue_subscribe_sync(std::string_view subject, std::string_view queue) {
    detail::zstr s(subject), q(queue);
    natsrs_subscription *sub = nullptr;
    check(natsrs_connection_queue_subscribe_sync(p_.get(), s.c_str(), q.c_str(), &sub));
    return subscription(sub);
  }

  /** Sends a request and waits for the reply (errors TIMEOUT, NO_RESPONDERS). */
  msg request(std::string_view subject, bytes data, std::chrono::milliseconds timeout) {
    detail::zstr s(subject);
    natsrs_msg *m = nullptr;
    check(natsrs_connection_request(p_.get(), s.c_str(), data.data(), data.size(), detail::ms(timeout), &m));
    return msg(m);
  }
  msg request(const msg_view &req, std::chrono::milliseconds timeout) {
    natsrs_msg *m = nullptr;
    check(natsrs_connection_request_msg(p_.get(), req.c_ptr(), detail::ms(timeout), &m));
    return msg(m);
  }

  /** Waits until the server has processed everything sent so far. */
  void flush(std::chrono::milliseconds timeout) { check(natsrs_connection_flush(p_.get(), detail::ms(timeout))); }
  /** Round trip time to the server. */
  std::chrono::duration<double, std::milli> rtt() {
    double v = 0;
    check(natsrs_connection_rtt(p_.get(), &v));
    return std::chrono::duration<double, std::milli>(v);
  }
  /** Drains every subscription, flushes and closes (0 = the options' drain timeout). */
  void drain(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    check(natsrs_connection_drain(p_.get(), detail::ms(timeout)));
  }
  void close() { check(natsrs_connection_close(p_.get())); }
  bool is_closed() const noexcept { return natsrs_connection_is_closed(p_.get()); }
  natsrs_connection_status status() const noexcept { return natsrs_connection_status_get(p_.get()); }
  statistics stats() const {
    statistics st{};
    check(natsrs_connection_stats(p_.get(), &st));
    return st;
  }
  std::int64_t max_payload() const {
    std::int64_t n = 0;
    check(natsrs_connection_max_payload(p_.get(), &n));
    return n;
  }
  std::string new_inbox() {
    return detail::read_string([&](char *b, std::size_t n) { return natsrs_connection_new_inbox(p_.get(), b, n); });
  }
  std::string connected_url() const {
    return detail::read_string([&](char *b, std::size_t n) { return natsrs_connection_connected_url(p_.get(), b, n); });
  }
  /** The version the connected server announced. */
  std::string server_version() const {
    natsrs_server_info *si = nullptr;
    check(natsrs_connection_server_info(p_.get(), &si));
    std::unique_ptr<natsrs_server_info, detail::deleter<natsrs_server_info, natsrs_server_info_free>> own(si);
    const char *v = natsrs_server_info_version(si);
    return v ? std::string(v) : std::string();
  }

  explicit operator bool() const noexcept { return static_cast<bool>(p_); }
  natsrs_connection *c_ptr() const noexcept { return p_.get(); }
  /** Gives up ownership. */
  natsrs_connection *release() noexcept { return p_.release(); }

 private:
  subscription async_sub(std::string_view subject, const std::string_view *queue, msg_handler handler) {
    detail::zstr s(subject), q(queue ? *queue : std::string_view());
    natsrs_msg_handler tramp = [](void *ud, natsrs_subscription *, const natsrs_msg *m) {
      try {
        detail::callback_box<msg_handler>::get(ud)(msg_view(m));
      } catch (...) {
        detail::exception_sink()("message handler", std::current_exception());
      }
    };
    natsrs_subscription *sub = nullptr;
    natsrs_status st = detail::register_callback(std::move(handler), [&](void *ud, natsrs_userdata_free rel) {
      return queue ? natsrs_connection_queue_subscribe(p_.get(), s.c_str(), q.c_str(), tramp, ud, rel, &sub)
                   : natsrs_connection_subscribe(p_.get(), s.c_str(), tramp, ud, rel, &sub);
    });
    check(st);
    return subscription(sub);
  }

  std::unique_ptr<natsrs_connection, detail::deleter<natsrs_connection, natsrs_connection_free>> p_;
};

}  // namespace natsrs

#endif /* NATSRS_HPP */
