//===- ExecutablePath.h - Where this program lives --------------*- C++ -*-===//
#ifndef LMC_RUNTIME_CORE_EXECUTABLEPATH_H
#define LMC_RUNTIME_CORE_EXECUTABLEPATH_H

#include <string>

namespace lmc::rt {

/// The absolute path of the running executable (/proc/self/exe), whatever
/// the working directory; empty if it cannot be read.
std::string executablePath();

/// The weights file an executable uses by default: `<executable>.weights`.
std::string defaultWeightsPath();

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_EXECUTABLEPATH_H
