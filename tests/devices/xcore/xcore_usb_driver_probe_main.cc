// xcore_usb_driver_probe: the production USB driver (libusb, the board
// inventory, the xcore device) in a process of its own, run by
// xcore_usb_driver_test under the umockdev testbed. Each mode prints what it
// saw, one fact per line; the test reads them. Synchronisation with the test
// is by files: the probe creates `<ready>.<stage>` and the test acts on it.
//
//   probe classify MODEL...          every board: each MODEL (firmware index = position)
//   probe hung MODEL                 xcore@1-2 with a 500 ms deadline, ref alongside
//   probe error MODEL                xcore@1-2 once, printing the status and health
//   probe replug MODEL READY         xcore@1-2 up, unplugged, replugged
//   probe arrival MODEL READY        no board, then one is plugged in
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "devices/device_catalog.h"
#include "devices/device_registry.h"
#include "engine/model.h"
#include "engine/util/splitmix64.h"

namespace tinyserve {
namespace {

using Clock = std::chrono::steady_clock;

struct Loaded {
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Executable> xs3;
};

Loaded Load(const std::string& path) {
  Loaded l;
  auto model = Model::LoadFile(path);
  if (!model.ok()) {
    std::printf("error: %s\n", model.status().ToString().c_str());
    std::exit(2);
  }
  l.model = *model;
  auto xs3 = CreateDevice("xs3");
  l.xs3 = *(*xs3)->Compile(l.model);
  return l;
}

std::vector<std::vector<uint8_t>> Inputs(const Model& model, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<std::vector<uint8_t>> inputs;
  for (int i = 0; i < model.num_inputs(); ++i) {
    std::vector<uint8_t> b(model.input(i).bytes);
    for (auto& v : b) v = static_cast<uint8_t>(rng.NextInt8());
    inputs.push_back(std::move(b));
  }
  return inputs;
}

absl::StatusOr<std::vector<std::vector<uint8_t>>> Run(const Executable& exe,
                                                     const std::vector<std::vector<uint8_t>>& in,
                                                     const InvokeOptions& options,
                                                     InvokeStats* stats_out = nullptr) {
  auto session = exe.NewSession();
  if (!session.ok()) return session.status();
  for (size_t i = 0; i < in.size(); ++i) {
    std::copy(in[i].begin(), in[i].end(), (*session)->input(static_cast<int>(i)).begin());
  }
  auto stats = (*session)->Invoke(options);
  if (!stats.ok()) return stats.status();
  if (stats_out != nullptr) *stats_out = *stats;
  std::vector<std::vector<uint8_t>> out;
  for (int o = 0; o < exe.model().num_outputs(); ++o) {
    auto s = (*session)->output(o);
    out.emplace_back(s.begin(), s.end());
  }
  return out;
}

InvokeOptions Deadline(std::chrono::milliseconds ms) {
  InvokeOptions o;
  o.deadline = std::chrono::system_clock::now() + ms;
  return o;
}

CompileOptions Bound(int index) {
  CompileOptions c;
  c.firmware = FirmwareBinding{index, "", ""};
  return c;
}

bool WaitFor(const Device& device, DeviceState state, std::chrono::seconds limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (device.Health().state == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void Touch(const std::string& path) { std::ofstream(path) << "x"; }

// One inference on `device`, compared with xs3: "MATCH", "DIFF" or the error.
std::string Classify(Device& device, const Loaded& l, int index, uint64_t seed,
                     std::string* link_text = nullptr) {
  auto exe = device.CompileWithOptions(l.model, Bound(index));
  if (!exe.ok()) return "COMPILE " + exe.status().ToString();
  const auto in = Inputs(*l.model, seed);
  InvokeStats stats;
  auto board = Run(**exe, in, Deadline(std::chrono::seconds(30)), &stats);
  if (!board.ok()) return "ERROR " + board.status().ToString();
  auto xs3 = Run(*l.xs3, in, {});
  if (link_text != nullptr && stats.link) {
    *link_text = "transfers=" + std::to_string(stats.link->transfers) +
                 " bytes_out=" + std::to_string(stats.link->bytes_out) +
                 " bytes_in=" + std::to_string(stats.link->bytes_in);
  }
  return xs3.ok() && *xs3 == *board ? "MATCH" : "DIFF";
}

std::unique_ptr<DeviceCatalog> UsbCatalog() {
  return DeviceCatalog::Create(DeviceCatalogOptions{.xcore_usb = true, .xcore_simulators = {}});
}

int Main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODE MODEL... [READY]\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  auto catalog = UsbCatalog();
  std::printf("note: %s\n", catalog->xcore_note().c_str());

  if (mode == "classify") {
    std::vector<Loaded> models;
    for (int i = 2; i < argc; ++i) models.push_back(Load(argv[i]));
    auto boards = catalog->Expand("xcore");
    std::printf("boards: %s\n", absl::StrJoin(*boards, " ").c_str());
    std::vector<std::string> lines(boards->size());
    std::vector<std::thread> threads;
    for (size_t b = 0; b < boards->size(); ++b) {
      threads.emplace_back([&, b] {
        auto device = catalog->Create((*boards)[b]);
        std::string text = (*boards)[b] + " " + (*device)->Describe().description + "\n";
        for (size_t m = 0; m < models.size(); ++m) {
          std::string link;
          text += (*boards)[b] + " model " + std::to_string(m) + ": " +
                  Classify(**device, models[m], static_cast<int>(m), 100 + m, &link) + " " +
                  link + "\n";
        }
        lines[b] = text;
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& l : lines) std::printf("%s", l.c_str());
    return 0;
  }

  const Loaded l = Load(argv[2]);
  if (mode == "hung" || mode == "error") {
    auto device = catalog->Create("xcore@1-2");
    std::printf("health: %s %s\n", DeviceStateName((*device)->Health().state),
                (*device)->Health().reason.c_str());
    auto exe = (*device)->CompileWithOptions(l.model, Bound(0));
    const auto in = Inputs(*l.model, 1);
    std::thread other;
    std::string other_result = "not run";
    if (mode == "hung") {
      // Another device keeps serving while the board hangs.
      other = std::thread([&] {
        auto ref = CreateDevice("ref");
        auto ref_exe = (*ref)->Compile(l.model);
        int good = 0;
        for (int i = 0; i < 20; ++i) good += Run(**ref_exe, in, {}).ok() ? 1 : 0;
        other_result = good == 20 ? "OK" : "FAILED";
      });
    }
    const auto start = Clock::now();
    auto result = Run(**exe, in, Deadline(std::chrono::milliseconds(500)));
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    if (other.joinable()) other.join();
    std::printf("status: %s\n", result.status().ToString().c_str());
    std::printf("elapsed_ms: %lld\n", static_cast<long long>(ms));
    std::printf("other device: %s\n", other_result.c_str());
    std::printf("health after: %s %s\n", DeviceStateName((*device)->Health().state),
                (*device)->Health().reason.c_str());
    return 0;
  }

  if (argc < 4) return 2;
  const std::string ready = argv[3];
  if (mode == "replug") {
    auto device = catalog->Create("xcore@1-2");
    std::vector<DeviceState> seen;
    std::mutex mu;
    (*device)->SetHealthListener([&](const DeviceHealth& h) {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(h.state);
    });
    std::printf("first: %s\n", Classify(**device, l, 0, 7).c_str());
    Touch(ready + ".up");
    if (!WaitFor(**device, DeviceState::kDown, std::chrono::seconds(20))) {
      std::printf("never DOWN\n");
      return 1;
    }
    std::printf("down: %s\n", (*device)->Health().reason.c_str());
    const auto start = Clock::now();
    std::printf("while down: %s\n", Classify(**device, l, 0, 8).c_str());
    std::printf("while down ms: %lld\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           Clock::now() - start)
                                           .count()));
    Touch(ready + ".down");
    if (!WaitFor(**device, DeviceState::kUp, std::chrono::seconds(20))) {
      std::printf("never UP again: %s\n", (*device)->Health().reason.c_str());
      return 1;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      bool recovering = false;
      for (DeviceState s : seen) recovering = recovering || s == DeviceState::kRecovering;
      std::printf("saw RECOVERING: %s\n", recovering ? "yes" : "no");
    }
    std::printf("after replug: %s\n", Classify(**device, l, 0, 9).c_str());
    return 0;
  }
  if (mode == "arrival") {
    std::mutex mu;
    std::vector<std::string> arrived;
    std::printf("boards at start: %zu\n", catalog->Expand("xcore")->size());
    catalog->WatchArrivals([&](const std::string& name) {
      std::lock_guard<std::mutex> lock(mu);
      arrived.push_back(name);
    });
    Touch(ready + ".watching");
    const auto until = Clock::now() + std::chrono::seconds(20);
    std::string name;
    while (Clock::now() < until && name.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::lock_guard<std::mutex> lock(mu);
      if (!arrived.empty()) name = arrived.front();
    }
    std::printf("arrived: %s\n", name.c_str());
    if (name.empty()) return 1;
    auto device = catalog->Create(name);
    WaitFor(**device, DeviceState::kUp, std::chrono::seconds(5));
    std::printf("classify: %s\n", Classify(**device, l, 0, 10).c_str());
    return 0;
  }
  std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
  return 2;
}

}  // namespace
}  // namespace tinyserve

int main(int argc, char** argv) { return tinyserve::Main(argc, argv); }
