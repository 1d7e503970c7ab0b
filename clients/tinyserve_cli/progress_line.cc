#include "clients/tinyserve_cli/progress_line.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tinyserve::cli {

ProgressLine::ProgressLine(std::string label, int64_t total, double total_seconds, bool enabled)
    : label_(std::move(label)),
      total_(total),
      total_seconds_(total_seconds),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()) {}

bool ProgressLine::StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

std::string ProgressLine::Format(const std::string& label, int64_t done, int64_t errors,
                                 int64_t total, double elapsed_seconds, double total_seconds) {
  const double rate = elapsed_seconds > 0 ? static_cast<double>(done) / elapsed_seconds : 0;
  std::string line = absl::StrCat(label, ": ");
  double eta = -1;  // unknown
  if (total > 0) {
    absl::StrAppend(&line, done, "/", total, " (", done * 100 / total, "%)");
    if (rate > 0) eta = static_cast<double>(std::max<int64_t>(total - done, 0)) / rate;
  } else {
    absl::StrAppend(&line, absl::StrFormat("%.1f/%.1f s, %d done", elapsed_seconds, total_seconds,
                                           done));
    eta = std::max(total_seconds - elapsed_seconds, 0.0);
  }
  absl::StrAppend(&line, absl::StrFormat(", %.0f /s", rate));
  if (errors > 0) absl::StrAppend(&line, ", ", errors, errors == 1 ? " error" : " errors");
  absl::StrAppend(&line, eta < 0 ? ", ETA ?" : absl::StrFormat(", ETA %.1f s", eta));
  return line;
}

void ProgressLine::Add(bool failed) {
  done_.fetch_add(1, std::memory_order_relaxed);
  if (failed) errors_.fetch_add(1, std::memory_order_relaxed);
  if (enabled_) Draw(false);
}

void ProgressLine::Draw(bool force) {
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;  // another thread is drawing
  const auto now = std::chrono::steady_clock::now();
  if (!force && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const std::string line =
      Format(label_, done_.load(), errors_.load(), total_,
             std::chrono::duration<double>(now - start_).count(), total_seconds_);
  // '\r', the line, then erase whatever a longer previous line left.
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
}

void ProgressLine::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (enabled_ && drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

}  // namespace tinyserve::cli
