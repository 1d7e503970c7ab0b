#include "devices/device_catalog.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "devices/device_registry.h"
#include "devices/xcore/board_inventory.h"
#include "devices/xcore/xcore_device.h"

namespace tinyserve {
namespace {

constexpr char kXcoreFamily[] = "xcore";
constexpr char kBoardPrefix[] = "xcore@";
constexpr size_t kBoardPrefixLength = sizeof(kBoardPrefix) - 1;

bool IsFixed(const std::string& name) { return name == "host" || name == "ref" || name == "xs3"; }

// Which boards have a device name out, and who wants to hear of new ones.
// Shared with the inventory's thread, which may still be announcing a board
// while the catalog goes away.
class Arrivals {
 public:
  // A board appeared: announce it unless it has a device already (created or
  // announced before); that device notices the board's return by itself.
  void Arrived(const std::string& path) {
    std::function<void(const std::string&)> on_arrival;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!on_arrival_) {
        if (std::find(pending_.begin(), pending_.end(), path) == pending_.end()) {
          pending_.push_back(path);
        }
        return;
      }
      if (!seen_.insert(path).second) return;
      on_arrival = on_arrival_;
    }
    on_arrival(kBoardPrefix + path);
  }

  void Created(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.insert(path);
  }

  // Sets the callback; returns the boards that arrived before it.
  std::vector<std::string> Watch(std::function<void(const std::string&)> on_arrival) {
    std::lock_guard<std::mutex> lock(mu_);
    on_arrival_ = std::move(on_arrival);
    std::vector<std::string> pending;
    pending.swap(pending_);
    return pending;
  }

 private:
  std::mutex mu_;
  std::set<std::string> seen_;
  std::vector<std::string> pending_;
  std::function<void(const std::string&)> on_arrival_;
};

class RegistryCatalog : public DeviceCatalog {
 public:
  explicit RegistryCatalog(const DeviceCatalogOptions& options)
      : inventory_(xcore::BoardInventory::Create(
            {.usb = options.xcore_usb, .simulators = options.xcore_simulators})),
        arrivals_(std::make_shared<Arrivals>()) {
    // Boards appear whether or not anyone watches yet: one arriving before
    // WatchArrivals is announced then.
    std::weak_ptr<Arrivals> weak = arrivals_;
    subscription_ = inventory_->Subscribe([weak](const xcore::BoardEvent& event) {
      if (!event.present) return;
      if (auto arrivals = weak.lock()) arrivals->Arrived(event.path);
    });
  }
  ~RegistryCatalog() override { inventory_->Unsubscribe(subscription_); }

  std::vector<std::string> Families() const override { return {"host", "ref", "xs3", "xcore"}; }

  absl::StatusOr<std::vector<std::string>> Expand(const std::string& entry) const override {
    if (IsFixed(entry)) return std::vector<std::string>{entry};
    if (entry == kXcoreFamily) {
      std::vector<std::string> names;
      for (const std::string& path : inventory_->Present()) names.push_back(kBoardPrefix + path);
      return names;
    }
    if (IsBoardName(entry)) return std::vector<std::string>{entry};
    return absl::NotFoundError(absl::StrCat(
        "unknown device '", entry, "' (families: ", absl::StrJoin(Families(), ", "),
        "; one board: xcore@BUS-PORT such as xcore@1-2.3, or xcore@simN)"));
  }

  absl::StatusOr<std::unique_ptr<Device>> Create(const std::string& name) override {
    if (IsFixed(name)) return CreateDevice(name);
    if (IsBoardName(name)) {
      const std::string path = name.substr(kBoardPrefixLength);
      arrivals_->Created(path);
      return std::unique_ptr<Device>(new xcore::XcoreDevice(inventory_, path));
    }
    if (name == kXcoreFamily) {
      return absl::InvalidArgumentError(
          "'xcore' names every board: expand it, or name one board (xcore@BUS-PORT, xcore@simN)");
    }
    return Expand(name).status();
  }

  void WatchArrivals(std::function<void(const std::string& name)> on_arrival) override {
    std::vector<std::string> pending = arrivals_->Watch(std::move(on_arrival));
    if (pending.empty()) return;
    // Announced from the inventory's thread, like every later arrival.
    std::weak_ptr<Arrivals> weak = arrivals_;
    inventory_->Post([weak, pending] {
      if (auto arrivals = weak.lock()) {
        for (const std::string& path : pending) arrivals->Arrived(path);
      }
    });
  }

  std::string xcore_note() const override { return inventory_->note(); }

 private:
  static bool IsBoardName(const std::string& name) {
    return absl::StartsWith(name, kBoardPrefix) && name.size() > kBoardPrefixLength;
  }

  std::shared_ptr<xcore::BoardInventory> inventory_;
  std::shared_ptr<Arrivals> arrivals_;
  int subscription_ = 0;
};

}  // namespace

std::unique_ptr<DeviceCatalog> DeviceCatalog::Create(const DeviceCatalogOptions& options) {
  return std::make_unique<RegistryCatalog>(options);
}

}  // namespace tinyserve
