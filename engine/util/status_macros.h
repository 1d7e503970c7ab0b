// Status propagation macros. Abseil 20220623 (Debian bookworm) has no
// ABSL_RETURN_IF_ERROR / ABSL_ASSIGN_OR_RETURN; these have the same semantics and
// can be swapped for Abseil's when the dependency moves on.
#ifndef TINYSERVE_ENGINE_UTIL_STATUS_MACROS_H_
#define TINYSERVE_ENGINE_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TS_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    ::absl::Status ts_status_ = (expr);          \
    if (!ts_status_.ok()) return ts_status_;     \
  } while (0)

#define TS_CONCAT_INNER_(a, b) a##b
#define TS_CONCAT_(a, b) TS_CONCAT_INNER_(a, b)

#define TS_ASSIGN_OR_RETURN(lhs, expr) \
  TS_ASSIGN_OR_RETURN_IMPL_(TS_CONCAT_(ts_statusor_, __LINE__), lhs, expr)

#define TS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // TINYSERVE_ENGINE_UTIL_STATUS_MACROS_H_
