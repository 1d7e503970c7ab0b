// tinyserve-cli: talk to a tinyserve server.
#include "CLI/CLI.hpp"
#include "clients/tinyserve_cli/commands.h"

int main(int argc, char** argv) {
  using namespace tinyserve::cli;
  CLI::App app{"tinyserve-cli: classify inputs and manage models on a tinyserve server."};
  app.require_subcommand(1);
  Connection connection;
  connection.server = "localhost:8500";
  app.add_option("--server", connection.server, "Server address HOST:PORT")->capture_default_str();
  app.add_option("--timeout", connection.timeout_seconds, "Seconds before a call gives up")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bool json = false;
  app.add_flag("--json", json, "Machine-readable JSON output");

  ClassifyArgs classify;
  auto* classify_cmd = app.add_subcommand(
      "classify", "Run one input through a model: top-k (or score), outputs, metrics block");
  classify_cmd->add_option("--model", classify.model, "Model name")->required();
  classify_cmd->add_option("--version", classify.version, "Model version (0: latest loaded)");
  classify_cmd->add_option("--device", classify.device, "Device (default: the model's)");
  classify_cmd->add_option("--input", classify.input,
                           "Input: raw tensor bytes (.bin), NumPy (.npy: float32 is quantized "
                           "by the server), or an image (.png/.jpg/.jpeg/.bmp) resized to the "
                           "model's input")
      ->required();
  classify_cmd->add_option("--top_k", classify.top_k, "Classes to return (0: model default)")
      ->check(CLI::NonNegativeNumber);
  classify_cmd->add_option("--repeat", classify.repeat,
                           "Send the request N times in sequence and print latency percentiles "
                           "(server total, device, round trip) instead of the result")
      ->check(CLI::PositiveNumber);
  classify_cmd->add_flag("--json", json, "Machine-readable JSON output");

  auto* models_cmd = app.add_subcommand("models", "List loaded models");
  models_cmd->add_flag("--json", json, "Machine-readable JSON output");

  std::string model;
  int64_t version = 0;
  auto* metadata_cmd = app.add_subcommand(
      "metadata", "A model's tensors, quantization, labels, ops, MACs and devices");
  metadata_cmd->add_option("MODEL", model, "Model name")->required();
  metadata_cmd->add_option("--version", version, "Model version (0: latest loaded)");
  metadata_cmd->add_flag("--json", json, "Machine-readable JSON output");

  auto* devices_cmd = app.add_subcommand("devices", "List the server's devices");
  devices_cmd->add_flag("--json", json, "Machine-readable JSON output");

  auto* load_cmd = app.add_subcommand("load", "Load a model version from the repository");
  load_cmd->add_option("MODEL", model, "Model name")->required();
  load_cmd->add_option("--version", version, "Version (0: highest in the repository)");
  load_cmd->add_flag("--json", json, "Machine-readable JSON output");

  auto* unload_cmd = app.add_subcommand("unload", "Unload a model version");
  unload_cmd->add_option("MODEL", model, "Model name")->required();
  unload_cmd->add_option("--version", version, "Version (0: every loaded version)");
  unload_cmd->add_flag("--json", json, "Machine-readable JSON output");

  CLI11_PARSE(app, argc, argv);
  connection.channel =
      grpc::CreateChannel(connection.server, grpc::InsecureChannelCredentials());
  classify.json = json;
  if (classify_cmd->parsed()) return Classify(connection, classify);
  if (models_cmd->parsed()) return ListModels(connection, json);
  if (metadata_cmd->parsed()) return Metadata(connection, model, version, json);
  if (devices_cmd->parsed()) return ListDevices(connection, json);
  if (load_cmd->parsed()) return Load(connection, model, version, json);
  if (unload_cmd->parsed()) return Unload(connection, model, version, json);
  return 2;
}
