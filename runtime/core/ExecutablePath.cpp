//===- ExecutablePath.cpp -------------------------------------------------===//
#include "runtime/core/ExecutablePath.h"

#include <unistd.h>
#include <vector>

std::string lmc::rt::executablePath() {
  std::vector<char> buffer(4096);
  for (;;) {
    ssize_t n = ::readlink("/proc/self/exe", buffer.data(), buffer.size());
    if (n < 0)
      return "";
    if (size_t(n) < buffer.size())
      return std::string(buffer.data(), size_t(n));
    buffer.resize(buffer.size() * 2);
  }
}

std::string lmc::rt::defaultWeightsPath() {
  std::string exe = executablePath();
  return exe.empty() ? "" : exe + ".weights";
}
