// tinyserve: the gRPC inference server.
#include "devices/device_catalog.h"
#include "server/server_app.h"

#ifndef TINYSERVE_BUNDLED_MODELS
#define TINYSERVE_BUNDLED_MODELS "models"
#endif

int main(int argc, char** argv) {
  tinyserve::server::ServerOptions options;
  options.model_repository = TINYSERVE_BUNDLED_MODELS;
  int exit_code = 0;
  if (!tinyserve::server::ParseServerFlags(argc, argv, options, exit_code)) return exit_code;
  return tinyserve::server::RunServer(options, [](const tinyserve::DeviceCatalogOptions& o) {
    return tinyserve::DeviceCatalog::Create(o);
  });
}
