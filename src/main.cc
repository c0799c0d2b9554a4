// ssebridge entry point: configuration, signals, resource limits, the loop.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>

#include <uv.h>

#include "ssebridge/authorizer.h"
#include "ssebridge/broker.h"
#include "ssebridge/broker_factory.h"
#include "ssebridge/config_loader.h"
#include "ssebridge/log.h"
#include "ssebridge/server.h"

namespace {

void OnSignal(uv_signal_t* handle, int signal_number) {
  auto* server = static_cast<ssebridge::Server*>(handle->data);
  LOG_INFO("received %s", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  server->Shutdown();
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
  if (loaded.show_version) {
    printf("ssebridge %s\n", SSEBRIDGE_VERSION);
    return 0;
  }
  ssebridge::SetLogLevel(loaded.config.log_level);
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

  uv_loop_t* loop = uv_default_loop();
  ssebridge::Server server(loop, loaded.config);
  server.AttachAuthorizer(std::move(authorizer));
  server.AttachBroker(ssebridge::MakeBroker(loop, server.config(), &server.completions(), &server.registry(),
                                            &server.counters()));
  uv_signal_t sigint;
  uv_signal_t sigterm;
  uv_signal_init(loop, &sigint);
  uv_signal_init(loop, &sigterm);
  sigint.data = &server;
  sigterm.data = &server;
  // Handlers go in before Start() announces the port: a supervisor (or test)
  // may send SIGTERM as soon as it reads "listening on", and that signal must
  // mean a clean shutdown, not the default action. The callbacks only run
  // inside uv_run(), after Start().
  uv_signal_start(&sigint, OnSignal, SIGINT);
  uv_signal_start(&sigterm, OnSignal, SIGTERM);
  // Signal handles must not keep the loop alive once everything else is closed.
  uv_unref(reinterpret_cast<uv_handle_t*>(&sigint));
  uv_unref(reinterpret_cast<uv_handle_t*>(&sigterm));
  int rc = server.Start();
  if (rc != 0) {
    server.Shutdown();
    uv_close(reinterpret_cast<uv_handle_t*>(&sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sigterm), nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm), nullptr);
  uv_run(loop, UV_RUN_DEFAULT);
  int close_rc = uv_loop_close(loop);
  if (close_rc != 0) LOG_WARN("loop closed with handles still open: %s", uv_strerror(close_rc));
  LOG_INFO("bye");
  return 0;
}
