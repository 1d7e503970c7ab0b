// tinyserve-xcore-sim: a simulated xcore.ai board running XMOS's io_server
// firmware, served over a socket (sim_wire_format.h) so tinyserve's xcore
// device can use it where no board is attached.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "devices/device_registry.h"
#include "devices/xcore/sim/board_state_machine.h"
#include "devices/xcore/sim/sim_server.h"
#include "engine/model.h"

namespace {

using tinyserve::xcore::sim::BoardFaults;

int Fail(const std::string& message) {
  std::fprintf(stderr, "tinyserve-xcore-sim: %s\n", message.c_str());
  return 1;
}

// "hang", "hang-after=N", "garbage", "short", "disconnect-after=N".
bool ApplyFault(const std::string& fault, BoardFaults& faults, int64_t& disconnect_after,
                std::string& error) {
  const auto count_after = [&](const std::string& prefix, int64_t& out) {
    if (fault.rfind(prefix, 0) != 0) return false;
    if (!absl::SimpleAtoi(fault.substr(prefix.size()), &out) || out < 0) {
      error = absl::StrCat("--fault ", fault, ": expected ", prefix, "N with N >= 0");
      out = -1;
    }
    return true;
  };
  int64_t n = -1;
  if (fault == "hang") {
    faults.hang = true;
  } else if (fault == "garbage") {
    faults.garbage_replies = true;
  } else if (fault == "short") {
    faults.short_replies = true;
  } else if (count_after("hang-after=", n)) {
    faults.hang_after_out_packets = n;
  } else if (count_after("disconnect-after=", n)) {
    disconnect_after = n;
  } else {
    error = absl::StrCat("--fault ", fault,
                         ": expected hang, hang-after=N, garbage, short or disconnect-after=N");
  }
  return error.empty();
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  std::vector<std::string> model_paths;
  std::vector<std::string> fault_names;
  const tinyserve::xcore::sim::BoardTiming defaults = tinyserve::xcore::sim::DefaultBoardTiming();
  double link_slowdown = 1.0;
  double chip_mhz = defaults.chip_mhz;

  CLI::App app{
      "tinyserve-xcore-sim: a simulated xcore.ai board running XMOS's io_server firmware, "
      "served over a socket for tinyserve's xcore device. The models are the board's firmware "
      "(model index = order given) and compute on the xs3 device; replies are delayed by the xs3 "
      "cycle estimate and a USB 2.0 high-speed link model. Prints one line, "
      "'tinyserve-xcore-sim: listening on ADDR', then serves until SIGTERM or SIGINT."};
  app.add_option("--listen", listen,
                 "HOST:PORT to listen on (port 0 picks a free one) or a unix socket path")
      ->capture_default_str();
  app.add_option("--model", model_paths,
                 "A .tflite model in the firmware: the xcore-opt output a board's firmware is built from (XC_* ops run bit-exact with XMOS's host interpreter) or a plain int8 model; repeat for more (the first is model index 0)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--fault", fault_names,
                 "Inject a fault (repeatable): hang (never answer), hang-after=N (hang after N "
                 "more OUT packets), garbage (scramble every IN packet), short (cut every output "
                 "short), disconnect-after=N (drop the connection after N more frames)");
  app.add_option("--link_slowdown", link_slowdown, "Multiply every link delay by this (>= 1)")
      ->check(CLI::Range(1.0, 1e6))
      ->capture_default_str();
  app.add_option("--chip_mhz", chip_mhz, "Chip clock turning xs3 cycle estimates into time")
      ->check(CLI::Range(1.0, 100000.0))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  BoardFaults faults;
  faults.link_slowdown = link_slowdown;
  int64_t disconnect_after = -1;
  for (const std::string& fault : fault_names) {
    std::string error;
    if (!ApplyFault(fault, faults, disconnect_after, error)) return Fail(error);
  }

  auto xs3 = tinyserve::CreateDevice("xs3");
  if (!xs3.ok()) return Fail(absl::StrCat("cannot create the xs3 device: ", xs3.status().ToString()));
  tinyserve::xcore::sim::Firmware firmware;
  for (const std::string& path : model_paths) {
    auto model = tinyserve::Model::LoadFile(path);
    if (!model.ok()) {
      return Fail(absl::StrCat("cannot load model '", path, "': ", model.status().ToString()));
    }
    auto executable = (*xs3)->Compile(*model);
    if (!executable.ok()) {
      return Fail(absl::StrCat("model '", path, "' does not compile for xs3: ",
                               executable.status().ToString()));
    }
    firmware.models.push_back(std::move(*executable));
  }
  tinyserve::xcore::sim::BoardTiming timing = defaults;
  timing.chip_mhz = chip_mhz;
  auto board = tinyserve::xcore::sim::BoardStateMachine::Create(std::move(firmware), timing);
  if (!board.ok()) return Fail(board.status().ToString());
  (*board)->SetFaults(faults);

  // Block the stop signals before the serving thread starts (it inherits the
  // mask), then wait for them here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = tinyserve::xcore::sim::SimServer::Start(
      listen, std::shared_ptr<tinyserve::xcore::sim::BoardStateMachine>(std::move(*board)));
  if (!server.ok()) return Fail(server.status().ToString());
  (*server)->DisconnectAfterFrames(disconnect_after);
  std::printf("tinyserve-xcore-sim: listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*server)->Stop();
  return 0;
}
