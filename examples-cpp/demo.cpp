// demo.cpp - examples-c/demo.c (the basic usage walk-through of the NATS Go client README) with
// the header-only C++17 wrapper natsrs.hpp: RAII handles, std::string_view arguments,
// std::function handlers, errors as natsrs::error.
//
// Build:  c++ -std=c++17 demo.cpp $(pkg-config --cflags --libs natsrs) -o demo
//         (or make -C examples-cpp, which uses the repository's include/ and target/release)
// Run:    NATS_URL=nats://127.0.0.1:4222 ./demo
#include <natsrs.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>
#include <cstdint>

using namespace std::chrono_literals;

namespace {

// A counter that handlers (on library threads) bump and main waits on, with a deadline.
class counter {
 public:
  void add() {
    std::lock_guard<std::mutex> lock(mu_);
    ++value_;
    cv_.notify_all();
  }
  int get() {
    std::lock_guard<std::mutex> lock(mu_);
    return value_;
  }
  int wait_for(int target, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return value_ >= target; });
    return value_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int value_ = 0;
};

int step_no = 0;
void step(const char *title) { std::cout << "\n== " << ++step_no << ". " << title << "\n"; }

void expect(bool cond, const std::string &what) {
  if (!cond) {
    std::cerr << "FAILED: " << what << "\n";
    std::exit(1);
  }
}

void print_msg(const char *prefix, const natsrs::msg_view &m) { std::cout << prefix << " [" << m.subject() << "]: " << m.text() << "\n"; }

std::string url() {
  const char *u = std::getenv("NATS_URL");
  return (u && *u) ? u : "nats://127.0.0.1:4222";
}

}  // namespace

int main() {
  try {
    natsrs::check_compatibility();  // the library at run time can serve this header
    std::cout << "libnatsrs " << natsrs::version() << " (header " << NATSRS_VERSION_STRING << ")\n";
    counter foo_count, closed;

    step("Connect");
    natsrs::options opts;
    opts.url(url()).name("natsrs-demo-cpp").on_closed([&closed] {
      std::cout << "(closed handler called)\n";
      closed.add();
    });
    natsrs::connection nc = natsrs::connection::connect(opts);
    std::cout << "Connected to " << nc.connected_url() << " (nats-server " << nc.server_version() << ")\n";

    step("Simple publisher");
    std::cout << "Publishing 'Hello World' to 'foo' (nobody subscribed yet)\n";
    nc.publish("foo", "Hello World");

    step("Simple async subscriber");
    natsrs::subscription foo_sub = nc.subscribe("foo", [&foo_count](const natsrs::msg_view &m) {
      print_msg("Received a message", m);
      foo_count.add();
    });
    nc.publish("foo", "Hello World");
    nc.flush(2s);  // the server has processed everything sent so far
    std::cout << "flushed; round trip time " << nc.rtt().count() << " ms\n";
    expect(foo_count.wait_for(1, 5s) >= 1, "async subscriber got nothing");

    step("Responding to a request message");
    natsrs::subscription req_sub = nc.subscribe("request", [](const natsrs::msg_view &m) { m.respond("answer is 42"); });
    natsrs::msg reply = nc.request("request", "what is the answer?", 2s);
    print_msg("Reply", reply);
    expect(reply.text() == "answer is 42", "expected reply 'answer is 42'");

    step("Simple sync subscriber");
    natsrs::subscription sync_sub = nc.subscribe_sync("foo");
    nc.publish("foo", "Hello World");
    natsrs::msg m = sync_sub.next_msg(2s);
    print_msg("next_msg returned", m);
    expect(m.text() == "Hello World", "unexpected payload");

    step("Payloads from containers, messages with headers");
    const std::vector<std::uint8_t> raw{'b', 'y', 't', 'e', 's'};
    nc.publish("foo", raw);  // any contiguous container of bytes
    natsrs::msg from_vec = sync_sub.next_msg(2s);
    expect(from_vec.text() == "bytes", "unexpected payload from a vector");
    natsrs::msg out = natsrs::msg::create("foo", std::string("with headers"));
    out.header_set("Trace", "abc").header_add("Trace", "def");
    nc.publish(out);
    natsrs::msg in = sync_sub.next_msg(2s);
    auto trace = in.header_values("Trace");
    std::cout << "headers: Trace=" << in.header("Trace").value_or("?") << " (" << trace.size() << " values)\n";
    expect(trace.size() == 2 && trace[1] == "def", "headers did not arrive");

    step("Unsubscribe");
    sync_sub.unsubscribe();
    std::cout << "sync subscription valid after unsubscribe: " << (sync_sub.is_valid() ? "yes" : "no") << "\n";
    sync_sub = natsrs::subscription();  // frees it

    step("Drain a subscription");
    nc.publish("foo", "Hello World");
    foo_sub.drain();
    foo_sub.drain_wait(5s);
    std::cout << "'foo' subscription drained; it received " << foo_count.get() << " messages\n";
    expect(foo_count.get() >= 2, "drain lost a message");

    step("Requests and replies");
    natsrs::subscription help_sub = nc.subscribe("help", [&nc](const natsrs::msg_view &req) { nc.publish(req.reply(), "I can help!"); });
    reply = nc.request("help", "help me", 2s);
    print_msg("Reply", reply);
    expect(reply.text() == "I can help!", "expected reply 'I can help!'");

    step("Errors are exceptions");
    try {
      nc.request("nobody.listens", "anyone?", 1s);
      expect(false, "a request without responders should fail");
    } catch (const natsrs::error &e) {
      std::cout << "natsrs::error: status " << e.status_text() << ": " << e.what() << "\n";
      expect(e.status() == NATSRS_STATUS_NO_RESPONDERS, "expected NO_RESPONDERS");
    }

    step("Drain the connection (preferred for responders; no close needed)");
    nc.drain(10s);
    std::cout << "Connection closed after drain: " << (nc.is_closed() ? "yes" : "no") << "\n";
    expect(nc.is_closed(), "connection should be closed");
    expect(closed.wait_for(1, 5s) == 1, "closed handler should run once");

    step("Close");
    nc.close();  // idempotent: already closed by drain
    // The destructors free the subscriptions, the connection and the options, in reverse order.
  } catch (const natsrs::error &e) {
    std::cerr << "FAILED: " << e.status_text() << ": " << e.what() << "\n";
    return 1;
  }
  std::cout << "\ndemo: OK\n";
  return 0;
}
