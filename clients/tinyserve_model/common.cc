#include <cstdio>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/tinyserve_model/commands.h"
#include "devices/device_registry.h"
#include "engine/util/status_macros.h"

namespace tinyserve::model_tool {

int Fail(const std::string& message) {
  std::fprintf(stderr, "tinyserve-model: error: %s\n", message.c_str());
  return 1;
}

namespace {

// A repository path models/<name>/<version>/model.tflite names the model by
// <name>; any other file by its stem.
std::string ModelNameFromPath(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string version = p.parent_path().filename().string();
  const bool versioned = !version.empty() &&
                         version.find_first_not_of("0123456789") == std::string::npos;
  if (p.stem() == "model" && versioned && p.parent_path().has_parent_path()) {
    return p.parent_path().parent_path().filename().string();
  }
  return p.stem().string();
}

}  // namespace

absl::StatusOr<LoadedModel> LoadForDevice(const std::string& path, const std::string& device,
                                          const XcoreArgs& xcore) {
  LoadedModel loaded;
  const bool board = device == "xcore" || absl::StartsWith(device, "xcore@");
  if (!board) {
    TS_ASSIGN_OR_RETURN(loaded.device, CreateDevice(device));
    TS_ASSIGN_OR_RETURN(loaded.model, Model::LoadFile(path, ModelNameFromPath(path)));
    TS_ASSIGN_OR_RETURN(loaded.executable, loaded.device->Compile(loaded.model));
    return loaded;
  }
  DeviceCatalogOptions options;
  options.xcore_simulators = xcore.simulators;
  loaded.catalog = DeviceCatalog::Create(options);
  TS_ASSIGN_OR_RETURN(std::vector<std::string> boards, loaded.catalog->Expand(device));
  if (boards.empty()) {
    return absl::UnavailableError(
        absl::StrCat("no xcore board found: ", loaded.catalog->xcore_note()));
  }
  TS_ASSIGN_OR_RETURN(loaded.device, loaded.catalog->Create(boards.front()));
  const DeviceHealth health = loaded.device->Health();
  if (health.state != DeviceState::kUp) {
    return absl::UnavailableError(absl::StrCat(boards.front(), " is ",
                                               DeviceStateName(health.state), ": ", health.reason));
  }
  TS_ASSIGN_OR_RETURN(loaded.model, Model::LoadFile(path, ModelNameFromPath(path)));
  CompileOptions compile;
  compile.firmware = FirmwareBinding{xcore.model_index, xcore.firmware_model, ""};
  TS_ASSIGN_OR_RETURN(loaded.executable,
                      loaded.device->CompileWithOptions(loaded.model, compile));
  return loaded;
}

std::string LinkStatsText(const InvokeStats& stats) {
  if (!stats.link) return "";
  const LinkStats& l = *stats.link;
  return absl::StrFormat(
      "link: %d transfers, %d B out, %d B in; host->board %.1f us, on board %.1f us, "
      "board->host %.1f us",
      l.transfers, l.bytes_out, l.bytes_in, static_cast<double>(l.host_to_board_ns) / 1e3,
      static_cast<double>(l.on_board_ns) / 1e3, static_cast<double>(l.board_to_host_ns) / 1e3);
}

std::string TensorTypeAndShape(const TensorInfo& tensor) {
  return absl::StrCat(DataTypeName(tensor.type), "[", absl::StrJoin(tensor.shape, ","), "]");
}

std::string ChipStatsText(const InvokeStats& stats) {
  if (!stats.cycles) return "";
  std::string text = absl::StrFormat("chip: %d cycles", *stats.cycles);
  if (stats.estimated_chip_microseconds) {
    absl::StrAppendFormat(&text, " = %.1f us on 1 thread", *stats.estimated_chip_microseconds);
  }
  if (stats.saturation_events) {
    absl::StrAppendFormat(&text, ", %d 16-bit saturation events", *stats.saturation_events);
  }
  return text;
}

}  // namespace tinyserve::model_tool
