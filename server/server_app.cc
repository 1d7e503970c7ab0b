#include "server/server_app.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "devices/device_registry.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "server/admin_service.h"
#include "server/classify_pipeline.h"
#include "server/http_server.h"
#include "server/inference_service.h"
#include "server/kserve_core.h"
#include "server/kserve_grpc_service.h"
#include "server/kserve_rest.h"
#include "server/model_loader.h"
#include "server/live_stats.h"
#include "server/metrics.h"
#include "server/model_registry.h"
#include "server/security_setup.h"
#include "server/stats_api.h"
#include "spdlog/spdlog.h"

namespace tinyserve::server {
namespace {

// Runs `tick` on a thread of its own: once at the start when `tick_first`,
// then every `period` until stopped. A period <= 0 starts no thread. (The
// repository poller and the queue-depth sampler.)
class PeriodicThread {
 public:
  PeriodicThread(std::chrono::duration<double> period, bool tick_first,
                 std::function<void()> tick) {
    if (period.count() <= 0) return;
    thread_ = std::thread([this, period, tick_first, tick = std::move(tick)] {
      if (tick_first) tick();
      std::unique_lock<std::mutex> lock(mu_);
      while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
        lock.unlock();
        tick();
        lock.lock();
      }
    });
  }
  ~PeriodicThread() { Stop(); }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Removes gRPC's reflection plugin from a server builder: linking
// grpc++_reflection registers it for every server at static initialization,
// so "off" has to take it out again.
class WithoutReflection : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
      return plugin->name() == "proto_server_reflection";
    });
  }
};

// "host:port", bracketing an IPv6 host.
std::string HostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos && host.front() != '[') {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

}  // namespace

bool ParseServerFlags(int argc, char** argv, ServerOptions& options, int& exit_code) {
  CLI::App app{"tinyserve: gRPC inference server for int8 TFLite models."};
  app.add_option("--model_repository", options.model_repository,
                 "Model repository: <dir>/<model>/<version>/model.tflite, optional "
                 "<dir>/<model>/config.pbtxt and labels.txt")
      ->capture_default_str();
  app.add_option("--address", options.address,
                 "Host to listen on (gRPC and HTTP). Default: 127.0.0.1 (loopback only), or "
                 "0.0.0.0 when clients are authenticated (--tls_cert/--tls_key with "
                 "--auth_token_file or --tls_client_ca) or with --insecure_listen_all. A "
                 "non-loopback address without authentication needs --insecure_listen_all");
  app.add_flag("--insecure_listen_all", options.insecure_listen_all,
               "Listen beyond loopback without authenticating clients (default address "
               "0.0.0.0): anyone who reaches the port can load and unload models. Warned at start");
  app.add_option("--grpc_port", options.grpc_port, "gRPC port (0: pick a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--http_port", options.http_port, "HTTP port for /metrics, /api/v1/stats, the dashboard and KServe v2 REST "
                 "(0: pick a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--devices", options.devices,
                 "Devices to run, comma separated, in order of preference (default: every "
                 "family: " +
                     absl::StrJoin(KnownDeviceNames(), ",") +
                     "). A family of boards (xcore) means every board now and every board "
                     "plugged in later; xcore@BUS-PORT (e.g. xcore@1-2.3) or xcore@simN one "
                     "board, DOWN while it is absent")
      ->delimiter(',');
  app.add_option("--xcore_sim", options.xcore_simulators,
                 "Simulated xcore boards (tinyserve-xcore-sim at HOST:PORT or a unix socket "
                 "path; repeatable or comma separated), named xcore@sim0, xcore@sim1, ... in "
                 "order; served when --devices includes xcore (the default) or names them")
      ->delimiter(',');
  app.add_option("--xcore_usb", options.xcore_usb,
                 "Look for xcore boards on USB (libusb): true or false (simulated boards only)")
      ->capture_default_str();
  app.add_option("--queue_size", options.queue_size, "Requests that may wait per device")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--workers_per_device", options.workers_per_device,
                 "Worker threads per device")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--drain_timeout", options.drain_timeout_seconds,
                 "Seconds to finish in-flight requests after SIGTERM/SIGINT")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--repository_poll_seconds", options.repository_poll_seconds,
                 "How often to look for new or changed model versions (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--default_top_k", options.default_top_k,
                 "top_k when neither the request nor the model config sets one")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--tls_cert", options.tls_cert_file,
                 "Serve gRPC and HTTP over TLS with this PEM certificate chain (needs --tls_key)");
  app.add_option("--tls_key", options.tls_key_file,
                 "PEM private key of --tls_cert (unencrypted; keep it readable by the server "
                 "only)");
  app.add_option("--tls_client_ca", options.tls_client_ca_file,
                 "Require client certificates signed by the CA(s) in this PEM file (mutual TLS; "
                 "needs --tls_cert/--tls_key)");
  app.add_option("--auth_token_file", options.auth_token_file,
                 "Require the bearer token in this file (surrounding whitespace trimmed) as "
                 "'authorization: Bearer <token>' on the calls --auth_scope names. Read at start; "
                 "an empty or unreadable file stops the server. Without TLS only on loopback");
  app.add_option("--auth_scope", options.auth_scope,
                 "What the token protects: admin (model load/unload: the Admin service, KServe "
                 "v2's RepositoryModelLoad/Unload and REST /v2/repository/models/.../load|unload; "
                 "inference and the rest of HTTP stay open) or all (every gRPC call but "
                 "grpc.health.v1 health checks, and every HTTP endpoint)")
      ->check(CLI::IsMember({"admin", "all"}))
      ->capture_default_str();
  app.add_option("--max_message_bytes", options.max_message_bytes,
                 "Largest gRPC request accepted, in bytes (larger: RESOURCE_EXHAUSTED)")
      ->check(CLI::Range(1024, 1 << 30))
      ->capture_default_str();
  app.add_option("--max_http_body_bytes", options.max_http_body_bytes,
                 "Largest HTTP request body accepted, in bytes (KServe v2 REST POSTs; larger: "
                 "413 before the body is read; other HTTP paths take no body)")
      ->check(CLI::Range(0, 1 << 30))
      ->capture_default_str();
  app.add_flag("--reflection", options.reflection,
               "Serve gRPC server reflection (lists services and their schemas); off by default");
  app.add_option("--rate_limit_rps", options.rate_limit_rps,
                 "Requests per second per client over gRPC (the token when the call carries "
                 "it, else the client certificate, else the connection); past it "
                 "RESOURCE_EXHAUSTED. 0: no limit")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--rate_limit_burst", options.rate_limit_burst,
                 "Requests a client may send at once before --rate_limit_rps applies (0: one "
                 "second's worth, at least 1)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return false;
  }
  return true;
}

int RunServer(const ServerOptions& options, const CatalogFactory& catalogs) {
  // Signals are taken by sigwait below: block them before any thread starts so
  // every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Flags that name files or contradict each other fail here, before anything starts.
  auto security = SetUpSecurity(options);
  if (!security.ok()) {
    spdlog::error("{}", std::string(security.status().message()));
    return 1;
  }

  ServerMetrics metrics;
  std::vector<std::string> failures;
  DeviceCatalogOptions catalog_options;
  catalog_options.xcore_usb = options.xcore_usb;
  catalog_options.xcore_simulators = options.xcore_simulators;
  DeviceManager::Options device_options;
  device_options.entries = options.devices;
  device_options.queue_capacity = options.queue_size;
  device_options.workers_per_device = options.workers_per_device;
  device_options.on_health = [&metrics](const RunningDevice& device, const DeviceHealth& health) {
    metrics.SetDeviceState(device.info.name, health.state);
    if (health.state == DeviceState::kUp) {
      spdlog::info("device {} is UP", device.info.name);
    } else {
      spdlog::warn("device {} is {}: {}", device.info.name, DeviceStateName(health.state),
                   health.reason);
    }
  };
  auto devices = DeviceManager::Start(catalogs(catalog_options), device_options, &failures);
  for (const std::string& f : failures) spdlog::warn("device not started: {}", f);
  if (!devices.ok()) {
    spdlog::error("{}", devices.status().ToString());
    return 1;
  }
  for (const RunningDevice* d : (*devices)->devices()) {
    metrics.SetDeviceState(d->info.name, d->health().state);
  }

  ModelRepository repository(options.model_repository);
  std::atomic<grpc::HealthCheckServiceInterface*> health{nullptr};
  ModelRegistry registry(repository, **devices, metrics,
                         [&health](const std::string& model, bool serving) {
                           if (auto* h = health.load()) h->SetServingStatus(model, serving);
                         });
  for (const std::string& f : registry.LoadAll()) spdlog::warn("model skipped: {}", f);
  // A board that arrives from now on serves every loaded model it can run.
  (*devices)->WatchArrivals([&registry, &metrics](RunningDevice& device) {
    metrics.SetDeviceState(device.info.name, device.health().state);
    registry.AddDevice(device);
  });
  spdlog::info("{} model version(s) loaded from {}", registry.Snapshot().size(),
               repository.root());

  ClassifyPipeline pipeline(registry, **devices, metrics, options.default_top_k);
  InferenceService inference(pipeline, registry, **devices);
  // Before the services that queue on it: destroyed after the gRPC server.
  ModelLoader loader;
  AdminService admin(registry, loader);
  // KServe v2 is ready exactly when the gRPC health service says SERVING.
  kserve::Core kserve_core(registry, pipeline, loader,
                           [&health] { return health.load() != nullptr; }, &repository,
                           &metrics);

  grpc::EnableDefaultHealthCheckService(true);
  if (options.reflection) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options.reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  int grpc_port = 0;
  builder.AddListeningPort(HostPort(security->address, options.grpc_port),
                           security->grpc_credentials, &grpc_port);
  builder.RegisterService(&inference);
  builder.RegisterService(&admin);
  KServeGrpcService kserve_grpc(kserve_core);
  builder.RegisterService(&kserve_grpc);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || grpc_port == 0) {
    spdlog::error("cannot serve gRPC on {}", HostPort(security->address, options.grpc_port));
    (*devices)->Shutdown();  // no arrival may reach the registry as it goes
    return 1;
  }
  QueueDepthHistory queue_depths;
  // Every device's queue depth into the live stats a few times a second; the
  // last sample in a second stands for that second's end.
  PeriodicThread depth_sampler(std::chrono::milliseconds(250), /*tick_first=*/true, [&] {
    const int64_t second = LiveNowSecond();
    for (const RunningDevice* d : (*devices)->devices()) {
      queue_depths.Record(d->info.name, d->scheduler->depth(), second);
    }
  });
  StatsApi stats(registry, **devices, queue_depths);
  HttpServerOptions http_options;
  http_options.address = security->address;
  http_options.port = options.http_port;
  http_options.tls_cert_file = security->tls.cert_file;
  http_options.tls_key_file = security->tls.key_file;
  http_options.tls_client_ca_file = security->tls.client_ca_file;
  http_options.bearer_token = security->http_bearer_token;
  http_options.admin_token = security->http_admin_token;
  http_options.admin_path_prefixes = {kserve::kRestAdminPathPrefix};
  http_options.max_body_bytes = options.max_http_body_bytes;
  const kserve::RestApi kserve_rest(kserve_core);
  auto http = HttpServer::Start(
      http_options,
      [&] {
        for (const RunningDevice* d : (*devices)->devices()) {
          metrics.SetQueueDepth(d->info.name, d->scheduler->depth());
        }
        return metrics.Serialize();
      },
      [&stats](const HttpRequest& request) { return stats.Handle(request); },
      {HttpRoute{"/v2",
                 [&kserve_rest](const HttpRequest& request) { return kserve_rest.Handle(request); },
                 /*takes_post=*/true}});
  if (!http.ok()) {
    spdlog::error("{}", http.status().ToString());
    server->Shutdown();
    (*devices)->Shutdown();
    return 1;
  }

  grpc::HealthCheckServiceInterface* health_service = server->GetHealthCheckService();
  for (const auto& served : registry.Snapshot()) {
    health_service->SetServingStatus(served->name(), true);
  }
  health.store(health_service);
  health_service->SetServingStatus("", true);
  PeriodicThread poller(std::chrono::duration<double>(options.repository_poll_seconds),
                        /*tick_first=*/false, [&registry] { registry.Poll(); });
  // Machine-readable readiness line (tests and scripts wait for it).
  spdlog::info("tinyserve ready: grpc port {} http port {} devices {}", grpc_port,
               (*http)->port(),
               absl::StrJoin((*devices)->devices(), ",", [](std::string* out, const auto& d) {
                 out->append(d->info.name);
               }));

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("signal {}: draining for up to {} s", signal_number, options.drain_timeout_seconds);
  health.store(nullptr);
  health_service->Shutdown();  // every service NOT_SERVING from here on
  poller.Stop();
  // Stops accepting calls and waits for in-flight ones (device workers keep
  // running to finish them); past the deadline the rest are cancelled.
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(
                       std::chrono::duration<double>(options.drain_timeout_seconds)));
  (*devices)->Shutdown();
  http->reset();
  spdlog::info("tinyserve stopped");
  return 0;
}

}  // namespace tinyserve::server
