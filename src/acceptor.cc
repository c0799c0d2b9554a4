#include "ssebridge/acceptor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ssebridge {
namespace {

uint64_t OpenFileLimit() {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  return static_cast<uint64_t>(limit.rlim_cur);
}

}  // namespace

Acceptor::Acceptor(uv_loop_t* loop, Counters* counters, std::string overload_answer, AcceptCallback on_accept,
                   ListenAddress address)
    : loop_(loop),
      counters_(counters),
      overload_answer_(std::move(overload_answer)),
      on_accept_(std::move(on_accept)),
      address_(std::move(address)) {
  uv_timer_init(loop_, &resume_timer_);
  resume_timer_.data = this;
}

Acceptor::~Acceptor() {
  if (fd_ >= 0) ::close(fd_);
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
  if (!closed_ && !unix_path_.empty()) RemoveSocketFileIfOurs(unix_path_, unix_identity_);
}

int Acceptor::OpenReserve() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

int Acceptor::Listen(const sockaddr* address, int backlog, bool reuse_port) {
  const socklen_t length = address->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  fd_ = ::socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return -errno;
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port && setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) return -errno;
  if (::bind(fd_, address, length) != 0) return -errno;
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return StartListening(backlog);
}

int Acceptor::ListenUnix(const std::string& path, const UnixSocketOptions& options, int backlog,
                         std::string* error) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) {
    *error = "the path is too long for a unix socket";
    return UV_ENAMETOOLONG;
  }
  *error = ClaimSocketPath(path);
  if (!error->empty()) return UV_EADDRINUSE;
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = strerror(errno);
    return -errno;
  }
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int bind_error = errno;
    *error = strerror(bind_error);
    return -bind_error;
  }
  // From here on the file is ours: Close() removes it, also after a failure below.
  unix_path_ = path;
  *error = SecureSocketFile(path, options.mode_set, options.mode, options.uid, options.gid, &unix_identity_);
  if (!error->empty()) return UV_EPERM;
  int rc = StartListening(backlog);
  if (rc != 0) *error = uv_strerror(rc);
  return rc;
}

int Acceptor::StartListening(int backlog) {
  if (::listen(fd_, backlog) != 0) return -errno;
  reserve_fd_ = OpenReserve();
  int rc = uv_poll_init(loop_, &poll_, fd_);
  if (rc != 0) return rc;
  poll_.data = this;
  poll_initialised_ = true;
  return uv_poll_start(&poll_, UV_READABLE, OnReadable);
}

void Acceptor::Close() {
  if (closed_) return;
  closed_ = true;
  if (poll_initialised_) uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&resume_timer_), nullptr);
  // uv_close stopped the poll handle, which removed the descriptor from the
  // loop's poll set, so it can be closed at once.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
  reserve_fd_ = -1;
  // Removed as soon as we stop accepting, so that a proxy gets "no such
  // file" at once and a successor can bind the path without waiting for
  // this process to exit.
  if (!unix_path_.empty()) RemoveSocketFileIfOurs(unix_path_, unix_identity_);
}

void Acceptor::OnReadable(uv_poll_t* poll, int status, int /*events*/) {
  auto* self = static_cast<Acceptor*>(poll->data);
  if (status < 0) {
    self->Pause("listening socket error", -status);
    return;
  }
  self->AcceptPending();
}

void Acceptor::OnResume(uv_timer_t* timer) {
  auto* self = static_cast<Acceptor*>(timer->data);
  if (!self->closed_) uv_poll_start(&self->poll_, UV_READABLE, OnReadable);
}

void Acceptor::AcceptPending() {
  // Bounded: the poll is level-triggered, so whatever is left makes the
  // socket readable again on the next loop turn, after other handles ran.
  for (int i = 0; i < kMaxAcceptsPerEvent && !closed_; ++i) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      on_accept_(fd, peer);
      continue;
    }
    switch (errno) {
      case EINTR:
      case ECONNABORTED:
        continue;
      case EAGAIN:
        return;
      case EMFILE:
      case ENFILE:
        ShedWithoutDescriptors(errno);
        return;
      default:
        // ENOBUFS, ENOMEM, EPERM (a firewall rule)...: nothing to answer with.
        Pause("accept failed", errno);
        return;
    }
  }
}

void Acceptor::ShedWithoutDescriptors(int error) {
  for (int shed = 0; shed < kMaxShedPerEvent; ++shed) {
    if (reserve_fd_ < 0) reserve_fd_ = OpenReserve();
    if (reserve_fd_ < 0) {
      Pause("out of file descriptors and no reserve descriptor to answer with", error);
      return;
    }
    ::close(reserve_fd_);
    reserve_fd_ = -1;
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    const int accept_error = errno;
    if (fd >= 0) {
      AnswerAndClose(fd);
      ++counters_->rejected_out_of_descriptors;
      uint64_t suppressed = 0;
      if (shed_log_.Allow(uv_now(loop_), &suppressed)) {
        LOG_WARN("rejecting connection: out of file descriptors (%s, open-file limit %llu); answered 503 "
                 "(%llu similar line(s) suppressed)",
                 strerror(error), static_cast<unsigned long long>(OpenFileLimit()),
                 static_cast<unsigned long long>(suppressed));
      }
    }
    reserve_fd_ = OpenReserve();
    if (fd >= 0) continue;
    if (accept_error == EAGAIN) return;  // Every waiting connection has been answered.
    if (accept_error == EINTR || accept_error == ECONNABORTED) continue;
    // Still no descriptor (another thread or process took the one we freed),
    // or another failure: back off instead of spinning on a readable socket.
    Pause("out of file descriptors", accept_error);
    return;
  }
}

void Acceptor::AnswerAndClose(int fd) {
  // Read what the client already sent, so that closing does not turn unread
  // input into a reset that would destroy the answer on its way. Bounded:
  // a few reads of whatever is queued, never a wait.
  char sink[4096];
  for (int i = 0; i < 4 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
  // A fresh socket's send buffer holds the few hundred bytes at once.
  ssize_t sent = ::send(fd, overload_answer_.data(), overload_answer_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  (void)sent;  // Best effort: the client is told if it can be, and closed either way.
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

void Acceptor::Pause(const char* what, int error) {
  uint64_t suppressed = 0;
  if (pause_log_.Allow(uv_now(loop_), &suppressed)) {
    LOG_WARN("%s: %s; not accepting for %llu ms (%llu similar line(s) suppressed)", what, strerror(error),
             static_cast<unsigned long long>(kPauseMs), static_cast<unsigned long long>(suppressed));
  }
  if (closed_) return;
  uv_poll_stop(&poll_);
  uv_timer_start(&resume_timer_, OnResume, kPauseMs, 0);
}

}  // namespace ssebridge
