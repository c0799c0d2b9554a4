// ssebridge entry point: configuration, signals, resource limits, the loop.
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

#include <uv.h>

#include "ssebridge/authorizer.h"
#include "ssebridge/broker.h"
#include "ssebridge/broker_factory.h"
#include "ssebridge/config_loader.h"
#include "ssebridge/log.h"
#include "ssebridge/man_page.h"
#include "ssebridge/pid_file.h"
#include "ssebridge/server.h"

namespace {

void OnSignal(uv_signal_t* handle, int signal_number) {
  auto* server = static_cast<ssebridge::Server*>(handle->data);
  if (signal_number == SIGHUP) {
    // Runs on the loop (uv_signal), not in the signal handler, so opening a
    // file and logging are safe here.
    const std::string& path = server->config().log_file;
    if (path.empty()) {
      LOG_INFO("received SIGHUP: no --log-file to reopen");
      return;
    }
    std::string error = ssebridge::OpenLogFile(path);
    if (error.empty()) {
      LOG_INFO("received SIGHUP: log file %s reopened", path.c_str());
    } else {
      LOG_ERROR("received SIGHUP: %s; logging to the old file", error.c_str());
    }
    return;
  }
  // SIGTERM drains over --drain-seconds (supervisors send it for restarts);
  // SIGINT, a person at a terminal, ends the streams at once.
  const bool drain = signal_number == SIGTERM;
  LOG_INFO("received %s", drain ? "SIGTERM" : "SIGINT");
  server->Drain(drain ? static_cast<uint64_t>(server->config().drain_seconds) * 1000 : 0);
}

void RaiseOpenFileLimit() {
  // Each client is one descriptor: use the whole hard limit.
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  ssebridge::ConfigLoadResult loaded = ssebridge::LoadConfigFromProcess(argc, argv);
  if (!loaded.error.empty()) {
    fprintf(stderr, "ssebridge: %s\nRun 'ssebridge --help' for the options.\n", loaded.error.c_str());
    return 2;
  }
  if (loaded.show_help) {
    fputs(ssebridge::ConfigUsage().c_str(), stdout);
    return 0;
  }
  if (loaded.show_man) {
    fputs(ssebridge::ManPage(SSEBRIDGE_VERSION).c_str(), stdout);
    return 0;
  }
  if (loaded.show_version) {
    printf("ssebridge %s\n", SSEBRIDGE_VERSION);
    return 0;
  }
  ssebridge::SetLogLevel(loaded.config.log_level);
  ssebridge::SetLogFormat(loaded.config.log_format);
  if (!loaded.config.log_file.empty()) {
    std::string error = ssebridge::OpenLogFile(loaded.config.log_file);
    if (!error.empty()) {
      fprintf(stderr, "ssebridge: --log-file: %s\n", error.c_str());
      return 2;
    }
  }
  // A client that disappears mid-write must cost an EPIPE, not the process.
  signal(SIGPIPE, SIG_IGN);
  RaiseOpenFileLimit();

  // Key files are read now, so a bad key stops the start like a bad option.
  std::string access_error;
  std::unique_ptr<ssebridge::Authorizer> authorizer =
      ssebridge::MakeAuthorizer(loaded.config, ssebridge::ReadWholeFile, &access_error);
  if (!authorizer) {
    fprintf(stderr, "ssebridge: %s\n", access_error.c_str());
    return 2;
  }

  // Locked before listening, so a second process with the same pid file
  // stops here instead of taking a port or a socket from the first one.
  ssebridge::PidFile pid_file;
  if (!loaded.config.pidfile.empty()) {
    std::string error = pid_file.Lock(loaded.config.pidfile);
    if (!error.empty()) {
      LOG_ERROR("--pidfile: %s", error.c_str());
      return 1;
    }
  }

  uv_loop_t* loop = uv_default_loop();
  ssebridge::Server server(loop, loaded.config);
  server.AttachAuthorizer(std::move(authorizer));
  server.AttachBroker(ssebridge::MakeBroker(loop, server.config(), &server.completions(), &server.registry(),
                                            &server.counters()));
  // Handlers go in before Start() announces the port: a supervisor (or test)
  // may send SIGTERM as soon as it reads "listening on", and that signal must
  // mean a clean shutdown, not the default action. The callbacks only run
  // inside uv_run(), after Start().
  uv_signal_t signals[3];
  const int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
  for (int i = 0; i < 3; ++i) {
    uv_signal_init(loop, &signals[i]);
    signals[i].data = &server;
    uv_signal_start(&signals[i], OnSignal, kSignals[i]);
    // Signal handles must not keep the loop alive once everything else is closed.
    uv_unref(reinterpret_cast<uv_handle_t*>(&signals[i]));
  }
  auto close_signals = [&signals] {
    for (uv_signal_t& handle : signals) uv_close(reinterpret_cast<uv_handle_t*>(&handle), nullptr);
  };
  int rc = server.Start();
  if (rc == 0 && pid_file.locked()) {
    std::string error = pid_file.Write();
    if (error.empty()) {
      LOG_INFO("pid %d written to %s", static_cast<int>(getpid()), loaded.config.pidfile.c_str());
    } else {
      LOG_ERROR("--pidfile: %s", error.c_str());
      rc = 1;
    }
  }
  if (rc != 0) {
    server.Shutdown();
    close_signals();
    uv_run(loop, UV_RUN_DEFAULT);
    pid_file.Remove();
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  close_signals();
  uv_run(loop, UV_RUN_DEFAULT);
  int close_rc = uv_loop_close(loop);
  if (close_rc != 0) LOG_WARN("loop closed with handles still open: %s", uv_strerror(close_rc));
  pid_file.Remove();
  LOG_INFO("bye");
  return 0;
}
