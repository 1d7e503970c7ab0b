// Sessions of one Executable, reused across requests: a worker takes one,
// runs, and gives it back. Sessions are created on first demand only, so the
// steady state allocates nothing.
#ifndef TINYSERVE_SERVER_SESSION_POOL_H_
#define TINYSERVE_SERVER_SESSION_POOL_H_

#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/device.h"

namespace tinyserve::server {

class SessionPool {
 public:
  explicit SessionPool(std::shared_ptr<const Executable> executable)
      : executable_(std::move(executable)) {}

  const Executable& executable() const { return *executable_; }

  // A session to use exclusively until Release.
  absl::StatusOr<std::unique_ptr<Session>> Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        auto session = std::move(free_.back());
        free_.pop_back();
        return session;
      }
    }
    return executable_->NewSession();
  }

  void Release(std::unique_ptr<Session> session) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(session));
  }

 private:
  std::shared_ptr<const Executable> executable_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Session>> free_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_SESSION_POOL_H_
