//===- AmxPermission.h - asking Linux for the AMX tile state -----*- C++ -*-===//
//
// Linux grants a process the (large) AMX register state only on request;
// the first AMX instruction of a process that did not ask faults. Code
// compiled for an AMX host (prefill matmuls, passes/cpu/AmxMatmul.h) runs
// after the runtime has asked, once, when a model is opened.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_SUPPORT_AMXPERMISSION_H
#define LMC_RUNTIME_SUPPORT_AMXPERMISSION_H

#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace lmc::rt {

/// Asks for the AMX tile data state; true if granted (or already granted),
/// false where there is no AMX or the kernel refuses.
inline bool requestAmxPermission() {
#if defined(__linux__) && defined(__x86_64__)
  constexpr long kArchRequestXCompPermission = 0x1023; // ARCH_REQ_XCOMP_PERM
  constexpr long kXFeatureTileData = 18;               // XFEATURE_XTILEDATA
  return syscall(SYS_arch_prctl, kArchRequestXCompPermission, kXFeatureTileData) == 0;
#else
  return false;
#endif
}

} // namespace lmc::rt

#endif // LMC_RUNTIME_SUPPORT_AMXPERMISSION_H
