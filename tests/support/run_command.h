// Runs a command line through the shell and captures its output and exit code.
#ifndef TINYSERVE_TESTS_SUPPORT_RUN_COMMAND_H_
#define TINYSERVE_TESTS_SUPPORT_RUN_COMMAND_H_

#include <string>

namespace tinyserve::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string output;  // stdout
  std::string error;   // stderr
};

CommandResult RunCommand(const std::string& command_line);

// A fresh path in the temporary directory, unique to this process.
std::string TempPath(const std::string& name);

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SUPPORT_RUN_COMMAND_H_
