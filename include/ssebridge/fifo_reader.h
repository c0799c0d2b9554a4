// FifoReader: the FIFO (--fifo PATH), read on the loop without ever blocking
// it. Lines written to it go to the one LineHandler it was built with, like
// the control port's.
//
// The FIFO is created (mode 0600) if missing; a path that exists and is not a
// FIFO is refused. It is opened read-write and non-blocking, so this process
// is itself a writer: the FIFO never reports end-of-file when a writer such
// as `echo line > fifo` closes it, and the next writer is read like the first.
// Should an end-of-file come anyway, the FIFO is reopened.
//
// Lifetime: the pipe handle is embedded; Close() closes it, and the owner keeps
// the object until the loop has run the close callback. The handler may call
// Close() (a "halt" line): the lines after it are dropped.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <uv.h>

#include "ssebridge/line_buffer.h"

namespace ssebridge {

class FifoReader {
 public:
  FifoReader(uv_loop_t* loop, LineHandler handler);
  FifoReader(const FifoReader&) = delete;
  FifoReader& operator=(const FifoReader&) = delete;

  // Creates the FIFO if needed, opens it and starts reading. Returns 0 or a
  // libuv error code (UV_EINVAL: the path is not a FIFO); the reason is logged.
  int Open(const std::string& path);
  // Stops reading and closes the FIFO (the file stays). Idempotent.
  void Close();

  // Called for each line longer than kMaxControlLineBytes, which is logged
  // and skipped without reaching the handler (so the owner can count it).
  std::function<void()> on_line_too_long;

 private:
  static constexpr size_t kReadBufferBytes = 16 * 1024;

  int OpenPipe();
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnClosed(uv_handle_t* handle);
  bool Deliver(std::string_view line, bool too_long);
  void ClosePipe(bool reopen);

  uv_loop_t* loop_;
  LineHandler handler_;
  std::string path_;
  std::string source_;  // "fifo PATH", for log lines.
  uv_pipe_t pipe_;
  LineBuffer lines_;
  std::unique_ptr<char[]> read_buffer_;
  bool pipe_open_ = false;  // pipe_ is initialized and not yet closing.
  bool closed_ = false;     // Close() was called: never reopen.
  bool reopen_ = false;     // Reopen once the pipe's close callback ran.
};

}  // namespace ssebridge
