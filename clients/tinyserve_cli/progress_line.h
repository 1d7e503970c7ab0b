// A one-line progress display on stderr for long client runs: done/total,
// rate and ETA, redrawn in place with '\r' at most ten times a second. It
// draws nothing unless enabled (tinyserve-cli enables it when stderr is a
// terminal), so pipes and logs never see it.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_CLI_PROGRESS_LINE_H_
#define TINYSERVE_CLIENTS_TINYSERVE_CLI_PROGRESS_LINE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace tinyserve::cli {

class ProgressLine {
 public:
  // Counts toward `total` items when total > 0, otherwise toward a time
  // budget of `total_seconds` (bench --duration).
  ProgressLine(std::string label, int64_t total, double total_seconds, bool enabled);
  ~ProgressLine() { Finish(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // True when stderr is a terminal.
  static bool StderrIsTerminal();

  // One item finished (failed: counted as an error too). Thread-safe.
  void Add(bool failed = false);
  // Erases the line. Idempotent.
  void Finish();

  // The text of the line (no '\r'), e.g.
  //   "ab vww_96_int8: 37/100 (37%), 412 /s, ETA 0.2 s"
  //   "bench c=4: 2.1/5.0 s, 1234 done, 587 /s, 2 errors, ETA 2.9 s"
  static std::string Format(const std::string& label, int64_t done, int64_t errors, int64_t total,
                            double elapsed_seconds, double total_seconds);

 private:
  void Draw(bool force);

  const std::string label_;
  const int64_t total_;
  const double total_seconds_;
  const bool enabled_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> errors_{0};
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_draw_;  // guarded by mu_
  bool drawn_ = false;                               // guarded by mu_
  bool finished_ = false;                            // guarded by mu_
};

}  // namespace tinyserve::cli

#endif  // TINYSERVE_CLIENTS_TINYSERVE_CLI_PROGRESS_LINE_H_
