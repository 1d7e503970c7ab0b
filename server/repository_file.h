// Reading files of the model repository safely: the one way the server reads
// anything in it. A read never blocks (FIFOs, devices and sockets are refused
// before anything opens them, and the open is O_NONBLOCK besides), never
// follows a symlink out of the repository, and never reads past a size cap.
#ifndef TINYSERVE_SERVER_REPOSITORY_FILE_H_
#define TINYSERVE_SERVER_REPOSITORY_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace tinyserve::server {

// `path` (under `root`) if it is a regular file whose real path (symlinks
// resolved) lies inside `inside` (a directory: the repository root, or a
// model directory for files a config names; `inside_name` says which in
// messages). The real path, which is what to open. Errors name `path`:
//   NOT_FOUND            it does not exist (or a symlink on the way dangles)
//   INVALID_ARGUMENT     it resolves outside `inside` ("leads outside <inside_name>")
//   FAILED_PRECONDITION  it is a FIFO, device, socket or directory
absl::StatusOr<std::string> CheckRepositoryFile(const std::string& path,
                                                const std::string& inside,
                                                const std::string& inside_name);

// The contents of `path` after CheckRepositoryFile, read with
// O_NONBLOCK|O_NOFOLLOW from the real path. INVALID_ARGUMENT when it holds
// more than `max_bytes` (checked before reading and while reading, so a file
// that grows is cut off too). `stamp`, when given, receives FileStamp of the
// file actually read (from the open descriptor, so it matches the contents).
absl::StatusOr<std::string> ReadRepositoryFile(const std::string& path,
                                               const std::string& inside,
                                               const std::string& inside_name,
                                               std::uint64_t max_bytes,
                                               std::string* stamp = nullptr);

// What identifies one state of `path` without reading it: inode, size,
// modification and change times of what it resolves to ("-" when absent),
// and of the symlink itself if it is one. Editing, replacing or retargeting
// the file changes it. Never blocks.
std::string FileStamp(const std::string& path);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_REPOSITORY_FILE_H_
