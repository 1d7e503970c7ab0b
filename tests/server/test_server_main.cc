// tinyserve_test_server: the tinyserve server with the test-only devices of
// tests/server/test_devices.h besides the normal ones. Same flags as tinyserve.
#include "server/server_app.h"
#include "tests/server/test_devices.h"

int main(int argc, char** argv) {
  tinyserve::server::ServerOptions options;
  options.model_repository = TINYSERVE_MODELS_DIR;
  int exit_code = 0;
  if (!tinyserve::server::ParseServerFlags(argc, argv, options, exit_code)) return exit_code;
  return tinyserve::server::RunServer(options, tinyserve::testing::CreateTestCatalog);
}
