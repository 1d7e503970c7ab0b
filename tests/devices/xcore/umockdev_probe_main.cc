// umockdev_probe: a small raw-libusb program run as a child of the umockdev
// testbed (tests/devices/xcore/umockdev_board_testbed.h) to prove that
// libusb's own Linux backend sees the simulated boards. It speaks io_server
// itself, independent of tinyserve's driver.
//
//   umockdev_probe list
//   umockdev_probe classify PATH INPUT_FILE OUTPUT_BYTES OUTPUT_FILE [MODEL_INDEX]
//   umockdev_probe hung PATH TIMEOUT_MS          (expects the OUT to time out)
//   umockdev_probe unplug PATH READY_FILE        (waits for NO_DEVICE)
//   umockdev_probe hotplug READY_FILE            (waits for a board to leave and come back)
// Prints what it saw, one fact per line; exit 0 on the expected outcome.
#include <libusb-1.0/libusb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr uint16_t kVendor = 0x20B1;
constexpr uint16_t kProduct = 0xA15E;
constexpr unsigned char kOut = 0x01;
constexpr unsigned char kIn = 0x81;
constexpr int kPacket = 512;

std::string PathOf(libusb_device* device) {
  uint8_t ports[8];
  const int n = libusb_get_port_numbers(device, ports, sizeof(ports));
  char path[64];
  int used = std::snprintf(path, sizeof(path), "%d-", libusb_get_bus_number(device));
  for (int i = 0; i < n && used < static_cast<int>(sizeof(path)); ++i) {
    used += std::snprintf(path + used, sizeof(path) - static_cast<size_t>(used), "%s%d",
                          i ? "." : "", ports[i]);
  }
  return path;
}

int Fail(const std::string& what, int code) {
  std::printf("error %s: %s\n", what.c_str(), libusb_error_name(code));
  return 1;
}

// Opens the io_server board at `path`, checks its product string, claims
// interface 0.
libusb_device_handle* OpenBoard(libusb_context* ctx, const std::string& path) {
  libusb_device** list = nullptr;
  const ssize_t n = libusb_get_device_list(ctx, &list);
  libusb_device_handle* handle = nullptr;
  for (ssize_t i = 0; i < n; ++i) {
    libusb_device_descriptor desc{};
    if (libusb_get_device_descriptor(list[i], &desc) != 0) continue;
    if (desc.idVendor != kVendor || desc.idProduct != kProduct || PathOf(list[i]) != path) continue;
    int r = libusb_open(list[i], &handle);
    if (r != 0) {
      std::printf("error open: %s\n", libusb_error_name(r));
      break;
    }
    unsigned char product[64] = {};
    r = libusb_get_string_descriptor_ascii(handle, desc.iProduct, product, sizeof(product));
    std::printf("product %s\n", r > 0 ? reinterpret_cast<char*>(product) : libusb_error_name(r));
    r = libusb_claim_interface(handle, 0);
    if (r != 0) {
      std::printf("error claim: %s\n", libusb_error_name(r));
      libusb_close(handle);
      handle = nullptr;
    }
    break;
  }
  libusb_free_device_list(list, 1);
  if (handle == nullptr) std::printf("error no board at %s\n", path.c_str());
  return handle;
}

int Out(libusb_device_handle* h, const std::vector<unsigned char>& data, int timeout_ms) {
  int done = 0;
  const int r = libusb_bulk_transfer(h, kOut, const_cast<unsigned char*>(data.data()),
                                     static_cast<int>(data.size()), &done, timeout_ms);
  return r != 0 ? r : (done == static_cast<int>(data.size()) ? 0 : LIBUSB_ERROR_IO);
}

int List(libusb_context* ctx) {
  libusb_device** list = nullptr;
  const ssize_t n = libusb_get_device_list(ctx, &list);
  for (ssize_t i = 0; i < n; ++i) {
    libusb_device_descriptor desc{};
    if (libusb_get_device_descriptor(list[i], &desc) != 0) continue;
    std::printf("device %s %04x:%04x speed=%d serial_index=%d\n", PathOf(list[i]).c_str(),
                desc.idVendor, desc.idProduct, libusb_get_device_speed(list[i]),
                desc.iSerialNumber);
  }
  libusb_free_device_list(list, 1);
  return 0;
}

int Classify(libusb_context* ctx, const std::string& path, const std::string& input_file,
             int output_bytes, const std::string& output_file, int model) {
  std::ifstream in(input_file, std::ios::binary);
  std::vector<unsigned char> input((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  libusb_device_handle* h = OpenBoard(ctx, path);
  if (h == nullptr) return 1;
  const unsigned char m = static_cast<unsigned char>(model);
  int r = Out(h, {0x03, m, 0}, 5000);
  if (r == 0) r = Out(h, input, 1000);
  if (r == 0 && input.size() % kPacket == 0) r = Out(h, {}, 1000);
  if (r != 0) return Fail("recv_input", r);
  const auto start = std::chrono::steady_clock::now();
  if ((r = Out(h, {0x01, m, 0}, 5000)) != 0 || (r = Out(h, {}, 5000)) != 0) return Fail("invoke", r);
  if ((r = Out(h, {0x02, m, 0}, 10000)) != 0) return Fail("send_output", r);
  const auto waited = std::chrono::steady_clock::now() - start;
  std::vector<unsigned char> output;
  while (true) {
    unsigned char buffer[4 * kPacket];
    int got = 0;
    r = libusb_bulk_transfer(h, kIn, buffer, sizeof(buffer), &got, 10000);
    if (r != 0) return Fail("read_output", r);
    output.insert(output.end(), buffer, buffer + got);
    if (got % kPacket != 0 || got < static_cast<int>(sizeof(buffer))) break;
  }
  std::printf("received %zu bytes\n", output.size());
  std::printf("on_board_us %lld\n", static_cast<long long>(
      std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
  if (static_cast<int>(output.size()) < output_bytes) {
    std::printf("error short output\n");
    return 1;
  }
  output.resize(output_bytes);
  std::ofstream(output_file, std::ios::binary)
      .write(reinterpret_cast<const char*>(output.data()), static_cast<std::streamsize>(output.size()));
  libusb_release_interface(h, 0);
  libusb_close(h);
  return 0;
}

int Hung(libusb_context* ctx, const std::string& path, int timeout_ms) {
  libusb_device_handle* h = OpenBoard(ctx, path);
  if (h == nullptr) return 1;
  const auto start = std::chrono::steady_clock::now();
  const int r = Out(h, {0x01, 0, 0}, timeout_ms);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start).count();
  std::printf("result %s after %lld ms\n", libusb_error_name(r), static_cast<long long>(ms));
  libusb_close(h);
  return r == LIBUSB_ERROR_TIMEOUT ? 0 : 1;
}

int Unplug(libusb_context* ctx, const std::string& path, const std::string& ready) {
  libusb_device_handle* h = OpenBoard(ctx, path);
  if (h == nullptr) return 1;
  std::ofstream(ready) << "open\n";
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < until) {
    unsigned char buffer[kPacket];
    int got = 0;
    const int r = libusb_bulk_transfer(h, kIn, buffer, sizeof(buffer), &got, 100);
    if (r == LIBUSB_ERROR_TIMEOUT) continue;
    std::printf("result %s\n", libusb_error_name(r));
    libusb_close(h);
    return r == LIBUSB_ERROR_NO_DEVICE ? 0 : 1;
  }
  std::printf("error still there\n");
  return 1;
}

struct HotplugLog {
  int left = 0;
  int arrived_after_left = 0;
};

int OnHotplug(libusb_context*, libusb_device* device, libusb_hotplug_event event, void* data) {
  auto* log = static_cast<HotplugLog*>(data);
  if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT) {
    std::printf("left %s\n", PathOf(device).c_str());
    ++log->left;
  } else {
    std::printf("arrived %s\n", PathOf(device).c_str());
    if (log->left > 0) ++log->arrived_after_left;
  }
  std::fflush(stdout);
  return 0;
}

int Hotplug(libusb_context* ctx, const std::string& ready) {
  if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
    std::printf("error no hotplug capability\n");
    return 1;
  }
  HotplugLog log;
  libusb_hotplug_callback_handle cb;
  const int r = libusb_hotplug_register_callback(
      ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
      LIBUSB_HOTPLUG_NO_FLAGS, kVendor, kProduct, LIBUSB_HOTPLUG_MATCH_ANY, &OnHotplug, &log, &cb);
  if (r != 0) return Fail("hotplug_register", r);
  std::ofstream(ready) << "registered\n";
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (log.arrived_after_left == 0 && std::chrono::steady_clock::now() < until) {
    timeval tv{0, 100000};
    libusb_handle_events_timeout_completed(ctx, &tv, nullptr);
  }
  libusb_hotplug_deregister_callback(ctx, cb);
  return log.arrived_after_left > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  libusb_context* ctx = nullptr;
  const int r = libusb_init(&ctx);
  if (r != 0) return Fail("init", r);
  int code = 2;
  if (args.size() == 1 && args[0] == "list") {
    code = List(ctx);
  } else if ((args.size() == 5 || args.size() == 6) && args[0] == "classify") {
    code = Classify(ctx, args[1], args[2], std::atoi(args[3].c_str()), args[4],
                    args.size() == 6 ? std::atoi(args[5].c_str()) : 0);
  } else if (args.size() == 3 && args[0] == "hung") {
    code = Hung(ctx, args[1], std::atoi(args[2].c_str()));
  } else if (args.size() == 3 && args[0] == "unplug") {
    code = Unplug(ctx, args[1], args[2]);
  } else if (args.size() == 2 && args[0] == "hotplug") {
    code = Hotplug(ctx, args[1]);
  } else {
    std::fprintf(stderr, "usage: see the comment at the top of umockdev_probe_main.cc\n");
  }
  std::fflush(stdout);
  libusb_exit(ctx);
  return code;
}
