//===- Linker.h - linking a compiled model with the runtime -----*- C++ -*-===//
#ifndef LMC_COMPILER_LINKER_H
#define LMC_COMPILER_LINKER_H

#include <string>

namespace lmc {

/// Links the model object with the lmc runtime (its main included) into an
/// executable, using the host C++ compiler driver. The runtime archives are
/// found beside lmc (`<bin>/../lib`).
bool linkExecutable(const std::string &objectPath, const std::string &outputPath,
                    std::string &error);

} // namespace lmc

#endif // LMC_COMPILER_LINKER_H
