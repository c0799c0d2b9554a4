#include "ssebridge/fifo_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "ssebridge/log.h"

namespace ssebridge {

FifoReader::FifoReader(uv_loop_t* loop, LineHandler handler)
    : loop_(loop), handler_(std::move(handler)), lines_(kMaxControlLineBytes), read_buffer_(new char[kReadBufferBytes]) {}

int FifoReader::Open(const std::string& path) {
  path_ = path;
  source_ = "fifo " + path;
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) {
      int error = errno;
      LOG_ERROR("fifo %s: %s", path.c_str(), strerror(error));
      return -error;
    }
    // Two processes may race to create it; either way there is a FIFO.
    if (mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST) {
      int error = errno;
      LOG_ERROR("fifo %s: cannot create: %s", path.c_str(), strerror(error));
      return -error;
    }
    if (stat(path.c_str(), &info) != 0) {
      int error = errno;
      LOG_ERROR("fifo %s: %s", path.c_str(), strerror(error));
      return -error;
    }
  }
  if (!S_ISFIFO(info.st_mode)) {
    LOG_ERROR("fifo %s: exists and is not a FIFO", path.c_str());
    return UV_EINVAL;
  }
  return OpenPipe();
}

int FifoReader::OpenPipe() {
  // Read-write: this process is a writer too, so a writer's close is no EOF,
  // and open() does not wait for one.
  int fd = open(path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    LOG_ERROR("fifo %s: cannot open: %s", path_.c_str(), strerror(error));
    return -error;
  }
  int rc = uv_pipe_init(loop_, &pipe_, 0);
  if (rc != 0) {
    close(fd);
    return rc;
  }
  pipe_.data = this;
  pipe_open_ = true;
  rc = uv_pipe_open(&pipe_, fd);
  if (rc != 0) {
    close(fd);
  } else {
    rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&pipe_), OnAlloc, OnRead);
  }
  if (rc != 0) {
    LOG_ERROR("fifo %s: cannot read: %s", path_.c_str(), uv_strerror(rc));
    ClosePipe(false);
  }
  return rc;
}

void FifoReader::Close() {
  if (closed_) return;
  closed_ = true;
  ClosePipe(false);
}

void FifoReader::ClosePipe(bool reopen) {
  if (!pipe_open_) return;
  pipe_open_ = false;
  reopen_ = reopen;
  uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), OnClosed);
}

void FifoReader::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<FifoReader*>(handle->data);
  if (self->reopen_ && !self->closed_) {
    self->reopen_ = false;
    self->OpenPipe();
  }
}

void FifoReader::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* self = static_cast<FifoReader*>(handle->data);
  buf->base = self->read_buffer_.get();
  buf->len = kReadBufferBytes;
}

void FifoReader::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<FifoReader*>(stream->data);
  auto sink = [self](std::string_view line, bool too_long) { return self->Deliver(line, too_long); };
  if (nread > 0) {
    self->lines_.Feed(std::string_view(buf->base, static_cast<size_t>(nread)), sink);
    return;
  }
  if (nread == 0) return;  // EAGAIN.
  if (nread == UV_EOF) {
    // Not expected while this process holds the FIFO open for writing; if it
    // happens, take the last line and listen again.
    if (self->lines_.Finish(sink)) self->ClosePipe(true);
    return;
  }
  LOG_WARN("fifo %s: read failed: %s; no more lines are read from it", self->path_.c_str(),
           uv_strerror(static_cast<int>(nread)));
  self->ClosePipe(false);
}

bool FifoReader::Deliver(std::string_view line, bool too_long) {
  if (closed_) return false;
  if (too_long) {
    LOG_WARN("%s: skipped a line longer than %zu bytes", source_.c_str(), kMaxControlLineBytes);
    if (on_line_too_long) on_line_too_long();
  } else {
    handler_(line, source_);
  }
  return !closed_;  // The handler may have closed it (halt).
}

}  // namespace ssebridge
