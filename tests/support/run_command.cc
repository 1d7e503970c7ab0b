#include "tests/support/run_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace tinyserve::testing {

std::string TempPath(const std::string& name) {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() /
          ("tinyserve_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
           name))
      .string();
}

CommandResult RunCommand(const std::string& command_line) {
  const std::string err_file = TempPath("stderr.txt");
  const std::string command = command_line + " 2>" + err_file;
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_file);
  result.error.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
  std::filesystem::remove(err_file);
  return result;
}

}  // namespace tinyserve::testing
