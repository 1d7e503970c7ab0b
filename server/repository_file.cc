#include "server/repository_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"

namespace tinyserve::server {
namespace {

// "a FIFO", "a directory", ... for a file that is not a regular file.
const char* KindOf(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symlink";
  return "not a regular file";
}

std::string StampOf(const struct stat& st) {
  return absl::StrCat(st.st_dev, ".", st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".",
                      st.st_mtim.tv_nsec, ":", st.st_ctim.tv_sec, ".", st.st_ctim.tv_nsec);
}

// FileStamp's format, for `path` whose target has `target`.
std::string StampWithTarget(const std::string& path, const std::string& target_stamp) {
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0 || !S_ISLNK(link.st_mode)) return target_stamp;
  return absl::StrCat(target_stamp, "@", StampOf(link));
}

// realpath(3) into a std::string; nullopt-like empty string with errno set.
std::string RealPath(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  return real == nullptr ? std::string() : std::string(real.get());
}

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<std::string> CheckRepositoryFile(const std::string& path,
                                                const std::string& inside,
                                                const std::string& inside_name) {
  // realpath only stats and reads links: it never opens the file itself.
  const std::string real = RealPath(path);
  if (real.empty()) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("'", path, "' does not exist"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' cannot be resolved: ", std::strerror(error)));
  }
  const std::string real_inside = RealPath(inside);
  if (real_inside.empty()) {
    return absl::NotFoundError(absl::StrCat("'", inside, "' does not exist"));
  }
  if (!absl::StartsWith(real, real_inside + "/")) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' leads outside ", inside_name,
                                                   " (to ", real, ")"));
  }
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("'", path, "' cannot be read: ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' is ", KindOf(st.st_mode), ", not a regular file"));
  }
  return real;
}

absl::StatusOr<std::string> ReadRepositoryFile(const std::string& path,
                                               const std::string& inside,
                                               const std::string& inside_name,
                                               std::uint64_t max_bytes, std::string* stamp) {
  absl::StatusOr<std::string> real = CheckRepositoryFile(path, inside, inside_name);
  if (!real.ok()) return real.status();
  // O_NOFOLLOW: the real path has no symlink left, so one appearing since is
  // refused; O_NONBLOCK: a FIFO swapped in since the check cannot block us.
  Fd fd(::open(real->c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' cannot be opened: ", std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' is ", KindOf(st.st_mode), ", not a regular file"));
  }
  auto too_large = [&](std::uint64_t size) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is ", size,
                                                   " bytes, more than the limit of ", max_bytes));
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return too_large(static_cast<std::uint64_t>(st.st_size));
  }
  std::string contents;
  contents.resize(static_cast<std::size_t>(st.st_size));
  std::size_t used = 0;
  char extra = 0;
  for (;;) {
    // Read one byte past the expected end, to notice a file that grew.
    char* into = used < contents.size() ? contents.data() + used : &extra;
    const std::size_t room = used < contents.size() ? contents.size() - used : 1;
    const ssize_t n = ::read(fd.get(), into, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::FailedPreconditionError(
          absl::StrCat("'", path, "' cannot be read: ", std::strerror(errno)));
    }
    if (n == 0) break;
    if (into == &extra) {
      // It grew while we read: refuse when past the cap, else keep going.
      if (contents.size() >= max_bytes) return too_large(contents.size() + 1);
      contents.push_back(extra);
      contents.resize(std::min<std::size_t>(contents.size() * 2 + 1, max_bytes));
      used = used + 1;
      continue;
    }
    used += static_cast<std::size_t>(n);
  }
  contents.resize(used);
  if (stamp != nullptr) *stamp = StampWithTarget(path, StampOf(st));
  return contents;
}

std::string FileStamp(const std::string& path) {
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0) return "-";
  if (!S_ISLNK(link.st_mode)) return StampOf(link);
  struct stat target {};
  return StampWithTarget(path, ::stat(path.c_str(), &target) == 0 ? StampOf(target) : "-");
}

}  // namespace tinyserve::server
