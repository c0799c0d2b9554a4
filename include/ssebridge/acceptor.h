// Acceptor: the listening socket and the accept path, including what happens
// when the process runs out of file descriptors.
//
// libuv's own accept path (uv__server_io, libuv 1.44) handles EMFILE/ENFILE
// by closing a reserve descriptor and then accepting and closing every
// pending connection without a word: no answer, no callback, nothing to log
// or count. If the reserve cannot be reopened it loops forever calling the
// connection callback with UV_EMFILE. So ssebridge accepts on its own: a
// uv_poll_t watches the listening socket and accept4() runs here, in a
// bounded loop per readiness event.
//
// Out of descriptors, each pending connection is answered through the
// reserve descriptor: close the reserve, accept, send the canned 503, close,
// reopen the reserve. When even that is impossible (the reserve could not be
// reopened, or accept fails for another reason), accepting pauses for
// kPauseMs so that a listener that stays readable cannot make the loop spin;
// connections wait in the kernel's backlog meanwhile.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>

#include <uv.h>

#include "ssebridge/listen_address.h"
#include "ssebridge/log.h"
#include "ssebridge/metrics.h"
#include "ssebridge/unix_socket_file.h"

namespace ssebridge {

class Acceptor {
 public:
  // Receives each accepted socket (non-blocking, close-on-exec) with its
  // peer's address. The callee owns the descriptor from then on.
  using AcceptCallback = std::function<void(int fd, const sockaddr_storage& peer)>;

  static constexpr int kMaxAcceptsPerEvent = 64;  // Then other handles get a turn.
  static constexpr int kMaxShedPerEvent = 64;     // Out of descriptors: answered per event.
  static constexpr uint64_t kPauseMs = 250;       // No accept possible: wait this long.

  // `overload_answer` is sent, best effort, to connections refused for lack
  // of descriptors.
  // `address` is what --listen named, kept for log lines.
  Acceptor(uv_loop_t* loop, Counters* counters, std::string overload_answer, AcceptCallback on_accept,
           ListenAddress address = ListenAddress());
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // What a Unix socket file gets once bound (see unix_socket_file.h).
  struct UnixSocketOptions {
    bool mode_set = false;
    uint32_t mode = 0;
    int64_t uid = -1;  // -1: unchanged.
    int64_t gid = -1;
  };

  // Binds a TCP address and listens. With `reuse_port`, SO_REUSEPORT lets
  // other processes (with the same user id) bind the same address; the
  // kernel then spreads new connections across them. Returns 0 or a libuv
  // error code.
  int Listen(const sockaddr* address, int backlog, bool reuse_port = false);
  // Binds a Unix stream socket at `path` (removing a stale socket file
  // first, never a live one), secures the file and listens. Returns 0, or a
  // libuv error code with *error set to a sentence for the log.
  int ListenUnix(const std::string& path, const UnixSocketOptions& options, int backlog, std::string* error);
  uint16_t port() const { return port_; }
  const ListenAddress& address() const { return address_; }
  bool is_unix() const { return !unix_path_.empty(); }
  // Stops accepting and closes the socket and the handles; a Unix socket's
  // file is removed if it is still ours. Idempotent.
  void Close();

 private:
  static void OnReadable(uv_poll_t* poll, int status, int events);
  static void OnResume(uv_timer_t* timer);

  void AcceptPending();
  void ShedWithoutDescriptors(int error);
  void AnswerAndClose(int fd);
  void Pause(const char* what, int error);
  int OpenReserve();
  // The shared tail of both Listen calls: listen(), the reserve, the poll.
  int StartListening(int backlog);

  uv_loop_t* loop_;
  Counters* counters_;
  std::string overload_answer_;
  AcceptCallback on_accept_;
  ListenAddress address_;
  uv_poll_t poll_;
  uv_timer_t resume_timer_;
  int fd_ = -1;
  int reserve_fd_ = -1;  // Held only to be given up when accept() hits the limit.
  uint16_t port_ = 0;
  std::string unix_path_;            // Empty for TCP.
  SocketFileIdentity unix_identity_; // The file we bound, to remove only that one.
  bool poll_initialised_ = false;
  bool closed_ = false;
  LogLimiter shed_log_;
  LogLimiter pause_log_;
};

}  // namespace ssebridge
