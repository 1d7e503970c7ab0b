#include "devices/xcore/xcore_board.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace tinyserve::xcore {
namespace {

using Clock = std::chrono::steady_clock;
// How often a request waiting for the board looks at its cancellation.
constexpr auto kTurnSlice = std::chrono::milliseconds(5);

// The request's wall-clock deadline on the monotonic clock the transfers use.
Clock::time_point ToSteady(std::chrono::system_clock::time_point deadline) {
  if (deadline == std::chrono::system_clock::time_point::max()) return Clock::time_point::max();
  const auto now = std::chrono::system_clock::now();
  if (deadline <= now) return Clock::now();  // passed (also keeps min() from overflowing)
  const auto left = deadline - now;
  if (left > std::chrono::hours(24 * 365)) return Clock::time_point::max();
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(left);
}

}  // namespace

std::shared_ptr<XcoreBoard> XcoreBoard::Create(std::shared_ptr<BoardInventory> inventory,
                                               std::string path, LinkTimeouts timeouts) {
  std::shared_ptr<XcoreBoard> board(
      new XcoreBoard(std::move(inventory), std::move(path), timeouts));
  std::weak_ptr<XcoreBoard> weak = board;
  board->subscription_ = board->inventory_->Subscribe([weak](const BoardEvent& event) {
    if (auto b = weak.lock()) b->OnEvent(event);
  });
  board->Reopen(/*recovering=*/false);
  return board;
}

XcoreBoard::~XcoreBoard() { inventory_->Unsubscribe(subscription_); }

DeviceHealth XcoreBoard::Health() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return health_;
}

void XcoreBoard::SetHealthListener(Device::HealthListener listener) {
  std::lock_guard<std::mutex> lock(state_mu_);
  listener_ = std::move(listener);
}

void XcoreBoard::Update(DeviceState state, std::string reason,
                        std::shared_ptr<BoardTransport> transport) {
  std::lock_guard<std::mutex> notify(notify_mu_);
  DeviceHealth now;
  Device::HealthListener listener;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    const bool changed = health_.state != state || health_.reason != reason;
    health_ = DeviceHealth{state, std::move(reason)};
    transport_ = state == DeviceState::kUp ? std::move(transport) : nullptr;
    if (!changed) return;
    now = health_;
    listener = listener_;
  }
  if (listener) listener(now);
}

void XcoreBoard::OnEvent(const BoardEvent& event) {
  if (event.path != path_) return;
  if (event.present) {
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      // Already open and working: nothing came back.
      if (health_.state == DeviceState::kUp && transport_ != nullptr && !transport_->Lost()) {
        return;
      }
    }
    Reopen(/*recovering=*/true);
    return;
  }
  std::lock_guard<std::mutex> lock(reopen_mu_);
  Update(DeviceState::kDown, event.reason.empty() ? "unplugged" : event.reason, nullptr);
}

void XcoreBoard::Reopen(bool recovering) {
  std::lock_guard<std::mutex> lock(reopen_mu_);
  if (recovering) Update(DeviceState::kRecovering, "the board is back: reopening it", nullptr);
  std::string why;
  if (!inventory_->IsPresent(path_, &why)) {
    Update(DeviceState::kDown, why, nullptr);
    return;
  }
  absl::StatusOr<std::shared_ptr<BoardTransport>> transport = inventory_->Open(path_);
  if (!transport.ok()) {
    Update(DeviceState::kDown, absl::StrCat("cannot open: ", transport.status().message()),
           nullptr);
    return;
  }
  Update(DeviceState::kUp, "", std::move(*transport));
}

void XcoreBoard::MarkDown(const std::shared_ptr<BoardTransport>& transport,
                          const std::string& reason) {
  std::lock_guard<std::mutex> lock(reopen_mu_);
  {
    std::lock_guard<std::mutex> state(state_mu_);
    if (transport_ != transport) return;  // reopened meanwhile: that news is newer
  }
  Update(DeviceState::kDown, reason, nullptr);
}

absl::Status XcoreBoard::NotUp(const DeviceHealth& health) const {
  return absl::UnavailableError(absl::StrCat(device_name(), " is ", DeviceStateName(health.state),
                                             ": ", health.reason));
}

absl::Status XcoreBoard::Run(const IoServerModel& model,
                             absl::Span<const absl::Span<const uint8_t>> inputs,
                             absl::Span<const absl::Span<uint8_t>> outputs,
                             const InvokeOptions& options, LinkStats* link) {
  const Clock::time_point deadline = ToSteady(options.deadline);
  const std::function<bool()>* cancelled = options.cancelled ? &options.cancelled : nullptr;
  // A board that is not UP answers at once, without waiting for its turn.
  if (const DeviceHealth health = Health(); health.state != DeviceState::kUp) {
    return NotUp(health);
  }
  {
    std::unique_lock<std::mutex> lock(turn_mu_);
    while (busy_) {
      if (cancelled != nullptr && (*cancelled)()) {
        return absl::CancelledError(
            absl::StrCat(device_name(), ": cancelled while waiting for the board"));
      }
      if (const DeviceHealth health = Health(); health.state != DeviceState::kUp) {
        return NotUp(health);  // it went down meanwhile
      }
      const Clock::time_point now = Clock::now();
      if (now >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            device_name(), ": the deadline passed while another request had the board"));
      }
      turn_cv_.wait_until(lock, std::min(deadline, now + kTurnSlice));
    }
    busy_ = true;
  }
  struct Turn {
    XcoreBoard* board;
    ~Turn() {
      {
        std::lock_guard<std::mutex> lock(board->turn_mu_);
        board->busy_ = false;
      }
      board->turn_cv_.notify_one();
    }
  } turn{this};

  std::shared_ptr<BoardTransport> transport;
  DeviceHealth health;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    health = health_;
    transport = transport_;
  }
  if (health.state != DeviceState::kUp || transport == nullptr) return NotUp(health);

  const ExchangeLimits limits{deadline, cancelled, timeouts_};
  ExchangeResult result = RunIoServerExchange(*transport, model, inputs, outputs, limits);
  if (link != nullptr) *link = result.link;
  if (result.status.ok()) return absl::OkStatus();

  const std::string what(result.status.message());
  const bool lost = transport->Lost();
  if (lost) {
    MarkDown(transport, absl::StrCat("unplugged (", what, ")"));
  } else if (!result.in_step) {
    MarkDown(transport,
             absl::StrCat("out of step after: ", what, "; replug or power-cycle the board"));
    inventory_->Release(path_, what);
  }
  std::string message = absl::StrCat(device_name(), ": ", what);
  if (lost || !result.in_step) absl::StrAppend(&message, " (the board is now DOWN)");
  switch (result.status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
      return absl::Status(result.status.code(), message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace tinyserve::xcore
