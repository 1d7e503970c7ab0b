// The one thread that loads and unloads models on request (Admin's
// LoadModel/UnloadModel, KServe v2's repository load/unload). Loads wait for
// the registry's load lock and compile models, so they never run on an RPC or
// HTTP thread: however slow a load, every other call keeps being answered.
#ifndef TINYSERVE_SERVER_MODEL_LOADER_H_
#define TINYSERVE_SERVER_MODEL_LOADER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/status.h"

namespace tinyserve::server {

class ModelLoader {
 public:
  // At most `max_pending` jobs wait; more are refused RESOURCE_EXHAUSTED at once.
  explicit ModelLoader(std::size_t max_pending = 64);
  // Finishes jobs still queued (UNAVAILABLE) and joins the thread.
  ~ModelLoader();
  ModelLoader(const ModelLoader&) = delete;
  ModelLoader& operator=(const ModelLoader&) = delete;

  // Runs `work` on the loader thread, then done(its status). A job whose
  // `cancelled` (may be empty) says true when its turn comes gets CANCELLED
  // instead; refused jobs get done(RESOURCE_EXHAUSTED) inline.
  void Enqueue(std::function<bool()> cancelled, std::function<absl::Status()> work,
               std::function<void(absl::Status)> done);

 private:
  struct Job {
    std::function<bool()> cancelled;
    std::function<absl::Status()> work;
    std::function<void(absl::Status)> done;
  };
  void Run();

  const std::size_t max_pending_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;     // last: starts once everything above exists
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_MODEL_LOADER_H_
