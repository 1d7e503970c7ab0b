// DeviceScheduler's availability (a device going DOWN and UP), without a
// server: queued tasks are answered with the device's status at once, on the
// caller's thread, new ones are refused, and OK takes work again.
#include "server/device_scheduler.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tinyserve::server {
namespace {

// Holds the scheduler's only worker inside a task until released.
class Gate {
 public:
  void Enter() {
    std::unique_lock<std::mutex> lock(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  void WaitEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return entered_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
};

TEST(DeviceSchedulerTest, UnavailableAnswersQueuedTasksAtOnceAndRefusesNewOnesUntilOk) {
  DeviceScheduler scheduler("board", /*capacity=*/8, /*workers=*/1);
  Gate gate;
  std::atomic<bool> first_ran{false};
  DeviceTask first;
  first.run = [&](absl::Status status) {
    EXPECT_TRUE(status.ok()) << status;
    first_ran = true;
    gate.Enter();
  };
  ASSERT_TRUE(scheduler.Submit(std::move(first)).ok());
  gate.WaitEntered();

  // Three tasks wait behind the running one, one of them under a model cap.
  std::atomic<int> model_queued{0};
  std::vector<absl::Status> answers;
  std::vector<std::thread::id> threads;
  std::mutex answers_mu;
  for (int i = 0; i < 3; ++i) {
    DeviceTask task;
    if (i == 0) {
      task.model_queued = &model_queued;
      task.model_capacity = 4;
    }
    task.run = [&](absl::Status status) {
      std::lock_guard<std::mutex> lock(answers_mu);
      answers.push_back(status);
      threads.push_back(std::this_thread::get_id());
    };
    ASSERT_TRUE(scheduler.Submit(std::move(task)).ok());
  }
  EXPECT_EQ(scheduler.depth(), 3);
  EXPECT_EQ(model_queued.load(), 1);

  const absl::Status down = absl::UnavailableError("device 'board' is DOWN: unplugged");
  scheduler.SetAvailability(down);
  {
    std::lock_guard<std::mutex> lock(answers_mu);
    ASSERT_EQ(answers.size(), 3u);  // before SetAvailability returned
    for (size_t i = 0; i < answers.size(); ++i) {
      EXPECT_EQ(answers[i], down) << i;
      EXPECT_EQ(threads[i], std::this_thread::get_id()) << "answered on the caller's thread";
    }
  }
  EXPECT_EQ(scheduler.depth(), 0);
  EXPECT_EQ(model_queued.load(), 0);

  DeviceTask refused;
  bool refused_ran = false;
  refused.run = [&](absl::Status) { refused_ran = true; };
  EXPECT_EQ(scheduler.Submit(std::move(refused)), down);
  EXPECT_FALSE(refused_ran);

  // UP again: tasks queue and run.
  scheduler.SetAvailability(absl::OkStatus());
  std::atomic<bool> later_ran{false};
  DeviceTask later;
  later.run = [&](absl::Status status) {
    EXPECT_TRUE(status.ok()) << status;
    later_ran = true;
  };
  ASSERT_TRUE(scheduler.Submit(std::move(later)).ok());
  gate.Open();
  scheduler.Shutdown();
  EXPECT_TRUE(first_ran);
  EXPECT_TRUE(later_ran);
}

}  // namespace
}  // namespace tinyserve::server
