#include "devices/xcore/board_inventory.h"

#include <libusb.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "devices/xcore/io_server_protocol.h"
#include "devices/xcore/socket_transport.h"
#include "devices/xcore/usb_transport.h"

namespace tinyserve::xcore {

using Clock = std::chrono::steady_clock;

namespace {

// How long the first exchange with a simulator (connect + hello) may take.
constexpr auto kSimConnectTimeout = std::chrono::seconds(1);
// How long the watcher sleeps between looks when it has nothing to wait on.
constexpr auto kWatchSlice = std::chrono::milliseconds(50);

struct UsbEntry {
  bool present = false;
  std::string reason;               // why not present
  libusb_device* device = nullptr;  // referenced while present
};

struct SimEntry {
  std::string name;
  std::string address;
  bool present = false;
  std::string reason;
  std::shared_ptr<SocketTransport> parked;  // connected, held here
  std::weak_ptr<SocketTransport> lent;      // connected, held by a device
};

}  // namespace

class BoardInventory::Core : public std::enable_shared_from_this<Core> {
 public:
  explicit Core(const BoardInventoryOptions& options) : options_(options) {
    for (size_t i = 0; i < options.simulators.size(); ++i) {
      SimEntry sim;
      sim.name = absl::StrCat("sim", i);
      sim.address = options.simulators[i];
      sim.reason = "not connected yet";
      sims_.push_back(std::move(sim));
    }
  }

  ~Core() {
    for (auto& [path, entry] : usb_) {
      if (entry.device != nullptr) libusb_unref_device(entry.device);
    }
    for (auto& [device, arrived] : hotplug_queue_) libusb_unref_device(device);
    sims_.clear();
    if (context_ != nullptr) libusb_exit(context_);
  }

  void InitUsb() {
    if (!options_.usb) return;
    if (int rc = libusb_init(&context_); rc != 0) {
      context_ = nullptr;
      usb_note_ = absl::StrCat("USB unavailable (libusb_init: ", UsbErrorText(rc),
                               "; no usbfs here?): only simulated boards");
      return;
    }
    if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) != 0) {
      // Registered before the first scan so nothing falls between the two;
      // a board seen twice is recognised by its libusb_device.
      const int rc = libusb_hotplug_register_callback(
          context_,
          static_cast<libusb_hotplug_event>(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                            LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT),
          static_cast<libusb_hotplug_flag>(0), kXmosVendorId, kIoServerProductId,
          LIBUSB_HOTPLUG_MATCH_ANY, &Core::OnHotplug, this, &hotplug_handle_);
      hotplug_ = rc == LIBUSB_SUCCESS;
    }
    Scan();
  }

  void InitSims() { TickSims(); }

  void Run() {
    Clock::time_point next_scan = Clock::now() + options_.usb_rescan;
    Clock::time_point next_sims = Clock::now() + options_.sim_reconnect;
    while (!stop_.load()) {
      if (context_ != nullptr && hotplug_) {
        timeval tv{0, static_cast<suseconds_t>(
                          std::chrono::microseconds(kWatchSlice).count())};
        libusb_handle_events_timeout_completed(context_, &tv, nullptr);
      } else {
        std::unique_lock<std::mutex> lock(queue_mu_);
        wake_.wait_for(lock, kWatchSlice, [&] { return stop_.load() || !tasks_.empty(); });
      }
      if (stop_.load()) break;
      Drain();
      const Clock::time_point now = Clock::now();
      if (context_ != nullptr && !hotplug_ && now >= next_scan) {
        Scan();
        next_scan = now + options_.usb_rescan;
      }
      if (!sims_.empty() && now >= next_sims) {
        TickSims();
        next_sims = Clock::now() + options_.sim_reconnect;
      }
    }
  }

  void Stop() {
    stop_ = true;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      wake_.notify_all();
    }
    // Deregistering also wakes the watcher out of libusb's event handling.
    if (context_ != nullptr && hotplug_) libusb_hotplug_deregister_callback(context_, hotplug_handle_);
  }

  std::vector<std::string> Present() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> paths;
    for (const auto& [path, entry] : usb_) {
      if (entry.present) paths.push_back(path);
    }
    for (const SimEntry& sim : sims_) {
      if (sim.present) paths.push_back(sim.name);
    }
    return paths;
  }

  bool IsPresent(const std::string& path, std::string* why) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (const SimEntry* sim = FindSim(path)) {
      if (!sim->present && why != nullptr) {
        *why = absl::StrCat("simulated board ", path, " at ", sim->address,
                            " is not connected: ", sim->reason);
      }
      return sim->present;
    }
    const auto it = usb_.find(path);
    if (it != usb_.end() && it->second.present) return true;
    if (why != nullptr) {
      *why = absl::StrCat("no io_server board at USB bus-port ", path,
                          it == usb_.end() ? " (waiting for one to be plugged in)"
                                           : absl::StrCat(": ", it->second.reason));
      if (context_ == nullptr) absl::StrAppend(why, "; ", NoUsbText());
    }
    return false;
  }

  std::string Describe(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (const SimEntry* sim = FindSim(path)) {
      return absl::StrCat("simulated xcore.ai board (tinyserve-xcore-sim at ", sim->address, ")");
    }
    return absl::StrCat("xcore.ai board on USB at bus-port ", path);
  }

  std::string Note() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> parts;
    if (options_.usb) {
      if (context_ == nullptr) {
        parts.push_back(usb_note_);
      } else {
        bool any = false;
        for (const auto& [path, entry] : usb_) {
          any = any || entry.present;
          if (!entry.present && !entry.reason.empty() && entry.reason != kUnplugged) {
            parts.push_back(absl::StrCat("USB ", path, ": ", entry.reason));
          }
        }
        if (!any) parts.push_back("no io_server board (20b1:a15e 'xAISRV') on USB");
      }
    }
    for (const SimEntry& sim : sims_) {
      if (!sim.present) parts.push_back(absl::StrCat(sim.name, " (", sim.address, "): ", sim.reason));
    }
    return absl::StrJoin(parts, "; ");
  }

  int Subscribe(Listener listener) {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    listeners_[next_listener_] = std::move(listener);
    return next_listener_++;
  }

  void Unsubscribe(int id) {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    listeners_.erase(id);
  }

  void Post(std::function<void()> task) {
    std::lock_guard<std::mutex> lock(queue_mu_);
    tasks_.push_back(std::move(task));
    wake_.notify_all();
    // With hot-plug the watcher sleeps in libusb: it looks at tasks after at
    // most one slice.
  }

  absl::StatusOr<std::shared_ptr<BoardTransport>> Open(const std::string& path) {
    std::unique_lock<std::mutex> lock(mu_);
    if (SimEntry* sim = FindSim(path)) {
      if (sim->present && sim->parked != nullptr) {
        std::shared_ptr<SocketTransport> transport = std::move(sim->parked);
        sim->parked.reset();
        sim->lent = transport;
        return std::shared_ptr<BoardTransport>(transport);
      }
      if (sim->present) {
        return absl::FailedPreconditionError(
            absl::StrCat("simulated board ", path, " is already in use by another device"));
      }
      return absl::UnavailableError(absl::StrCat("simulated board ", path, " at ", sim->address,
                                                 " is not connected: ", sim->reason));
    }
    const auto it = usb_.find(path);
    if (it == usb_.end() || !it->second.present) {
      std::string why;
      lock.unlock();
      IsPresent(path, &why);
      return absl::UnavailableError(why);
    }
    libusb_device* device = libusb_ref_device(it->second.device);
    lock.unlock();
    absl::StatusOr<std::unique_ptr<UsbTransport>> transport =
        UsbTransport::Open(context_, device, path);
    libusb_unref_device(device);
    if (!transport.ok()) return transport.status();
    // The transport uses the libusb context: it keeps the core alive.
    std::shared_ptr<Core> self = shared_from_this();
    return std::shared_ptr<BoardTransport>(transport->release(),
                                           [self](BoardTransport* t) { delete t; });
  }

  void Release(const std::string& path, const std::string& reason) {
    std::lock_guard<std::mutex> lock(mu_);
    if (SimEntry* sim = FindSim(path)) {
      sim->present = false;
      sim->reason = absl::StrCat("power-cycling after: ", reason);
      sim->parked.reset();
      sim->lent.reset();
    }
  }

 private:
  static constexpr char kUnplugged[] = "unplugged";

  static int LIBUSB_CALL OnHotplug(libusb_context*, libusb_device* device,
                                   libusb_hotplug_event event, void* user) {
    // Any thread handling libusb events may run this: only queue the news.
    Core* core = static_cast<Core*>(user);
    std::lock_guard<std::mutex> lock(core->queue_mu_);
    core->hotplug_queue_.emplace_back(libusb_ref_device(device),
                                      event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED);
    core->wake_.notify_all();
    return 0;
  }

  std::string NoUsbText() const {
    return usb_note_.empty() ? "USB is not searched" : usb_note_;
  }

  SimEntry* FindSim(const std::string& path) {
    for (SimEntry& sim : sims_) {
      if (sim.name == path) return &sim;
    }
    return nullptr;
  }
  const SimEntry* FindSim(const std::string& path) const {
    return const_cast<Core*>(this)->FindSim(path);
  }

  void Fire(const BoardEvent& event) {
    std::vector<Listener> listeners;
    {
      std::lock_guard<std::mutex> lock(listeners_mu_);
      for (const auto& [id, listener] : listeners_) listeners.push_back(listener);
    }
    for (const Listener& listener : listeners) listener(event);
  }

  void Drain() {
    std::vector<std::pair<libusb_device*, bool>> hotplug;
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      hotplug.swap(hotplug_queue_);
      tasks.swap(tasks_);
    }
    for (auto& [device, arrived] : hotplug) {
      if (arrived) {
        Arrived(device);
      } else {
        Left(device);
      }
      libusb_unref_device(device);
    }
    for (auto& task : tasks) task();
  }

  // A matching VID/PID appeared: it is a board once its product string says so.
  void Arrived(libusb_device* device) {
    const std::string path = UsbPortPath(device);
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto it = usb_.find(path);
      if (it != usb_.end() && it->second.present && it->second.device == device) return;
    }
    std::string problem;
    libusb_device_handle* handle = nullptr;
    if (int rc = libusb_open(device, &handle); rc != 0) {
      problem = absl::StrCat("cannot open: ", UsbErrorText(rc),
                             rc == LIBUSB_ERROR_ACCESS ? " (permissions: see docs/xcore.md)" : "");
    } else {
      absl::StatusOr<std::string> product = UsbProductString(handle, device);
      libusb_close(handle);
      if (!product.ok()) {
        problem = std::string(product.status().message());
      } else if (*product != kIoServerProductString) {
        return;  // same IDs, another firmware: not a board of ours
      }
    }
    BoardEvent event{path, problem.empty(), problem};
    {
      std::lock_guard<std::mutex> lock(mu_);
      UsbEntry& entry = usb_[path];
      if (entry.device != nullptr) libusb_unref_device(entry.device);
      entry.device = problem.empty() ? libusb_ref_device(device) : nullptr;
      entry.present = problem.empty();
      entry.reason = problem;
    }
    Fire(event);
  }

  void Left(libusb_device* device) {
    std::string path;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [p, entry] : usb_) {
        if (entry.device == device) path = p;
      }
      if (path.empty()) path = UsbPortPath(device);
      const auto it = usb_.find(path);
      if (it == usb_.end() || !it->second.present) return;
      if (it->second.device != nullptr) libusb_unref_device(it->second.device);
      it->second.device = nullptr;
      it->second.present = false;
      it->second.reason = kUnplugged;
    }
    Fire({path, false, absl::StrCat("unplugged from USB bus-port ", path)});
  }

  // Enumeration: arrivals and departures since the last look.
  void Scan() {
    libusb_device** list = nullptr;
    const ssize_t n = libusb_get_device_list(context_, &list);
    if (n < 0) return;
    std::set<libusb_device*> boards;
    for (ssize_t i = 0; i < n; ++i) {
      libusb_device_descriptor desc;
      if (libusb_get_device_descriptor(list[i], &desc) == 0 && desc.idVendor == kXmosVendorId &&
          desc.idProduct == kIoServerProductId) {
        boards.insert(list[i]);
      }
    }
    std::vector<libusb_device*> gone;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [path, entry] : usb_) {
        if (entry.present && boards.count(entry.device) == 0) {
          gone.push_back(libusb_ref_device(entry.device));
        }
      }
    }
    for (libusb_device* device : gone) {
      Left(device);
      libusb_unref_device(device);
    }
    for (libusb_device* device : boards) Arrived(device);
    libusb_free_device_list(list, 1);
  }

  // Simulators: notice lost connections, reconnect absent ones.
  void TickSims() {
    for (size_t i = 0; i < sims_.size(); ++i) {
      std::string address, name;
      bool reconnect = false;
      std::optional<BoardEvent> event;
      {
        std::lock_guard<std::mutex> lock(mu_);
        SimEntry& sim = sims_[i];
        if (sim.present) {
          std::shared_ptr<SocketTransport> held = sim.parked;
          if (held == nullptr) held = sim.lent.lock();
          if (held == nullptr) {
            // Its device let go of it: take it back as a fresh board.
            sim.present = false;
            sim.reason = "released by its device";
          } else if (held->Lost()) {
            sim.present = false;
            sim.reason = "the simulator closed the connection";
            sim.parked.reset();
            sim.lent.reset();
            event = BoardEvent{sim.name, false,
                               absl::StrCat("simulated board ", sim.name, " at ", sim.address,
                                            " disconnected")};
          }
        }
        reconnect = !sim.present;
        address = sim.address;
        name = sim.name;
      }
      if (event) Fire(*event);
      if (!reconnect) continue;
      absl::StatusOr<std::unique_ptr<SocketTransport>> transport =
          SocketTransport::Connect(address, name, Clock::now() + kSimConnectTimeout);
      {
        std::lock_guard<std::mutex> lock(mu_);
        SimEntry& sim = sims_[i];
        if (!transport.ok()) {
          sim.reason = std::string(transport.status().message());
          continue;
        }
        sim.parked = std::move(*transport);
        sim.present = true;
        sim.reason.clear();
      }
      Fire({name, true, ""});
    }
  }

  const BoardInventoryOptions options_;
  mutable std::mutex mu_;  // usb_, sims_
  std::map<std::string, UsbEntry> usb_;
  std::vector<SimEntry> sims_;
  libusb_context* context_ = nullptr;
  bool hotplug_ = false;
  libusb_hotplug_callback_handle hotplug_handle_ = 0;
  std::string usb_note_;

  std::mutex queue_mu_;  // hotplug_queue_, tasks_
  std::condition_variable wake_;
  std::vector<std::pair<libusb_device*, bool>> hotplug_queue_;
  std::vector<std::function<void()>> tasks_;

  std::mutex listeners_mu_;
  std::map<int, Listener> listeners_;
  int next_listener_ = 1;

  std::atomic<bool> stop_{false};
};

std::shared_ptr<BoardInventory> BoardInventory::Create(const BoardInventoryOptions& options) {
  auto core = std::make_shared<Core>(options);
  core->InitUsb();
  core->InitSims();
  return std::shared_ptr<BoardInventory>(new BoardInventory(std::move(core)));
}

BoardInventory::BoardInventory(std::shared_ptr<Core> core) : core_(std::move(core)) {
  // The watcher holds the core: if the last owner of the inventory lets go on
  // the watcher itself (from a listener), the thread is detached and finishes
  // with the core still alive.
  watcher_ = std::thread([core = core_] { core->Run(); });
}

BoardInventory::~BoardInventory() {
  core_->Stop();
  if (watcher_.get_id() == std::this_thread::get_id()) {
    watcher_.detach();
  } else {
    watcher_.join();
  }
}

std::vector<std::string> BoardInventory::Present() const { return core_->Present(); }
bool BoardInventory::IsPresent(const std::string& path, std::string* why) const {
  return core_->IsPresent(path, why);
}
std::string BoardInventory::Describe(const std::string& path) const {
  return core_->Describe(path);
}
std::string BoardInventory::note() const { return core_->Note(); }
int BoardInventory::Subscribe(Listener listener) { return core_->Subscribe(std::move(listener)); }
void BoardInventory::Unsubscribe(int id) { core_->Unsubscribe(id); }
void BoardInventory::Post(std::function<void()> task) { core_->Post(std::move(task)); }
absl::StatusOr<std::shared_ptr<BoardTransport>> BoardInventory::Open(const std::string& path) {
  return core_->Open(path);
}
void BoardInventory::Release(const std::string& path, const std::string& reason) {
  core_->Release(path, reason);
}

}  // namespace tinyserve::xcore
