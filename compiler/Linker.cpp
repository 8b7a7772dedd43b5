//===- Linker.cpp - linking a compiled model with the runtime -------------===//
#include "compiler/Linker.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#ifndef LMC_HOST_CXX
#define LMC_HOST_CXX "c++"
#endif

using namespace lmc;

namespace {
/// The directory holding the runtime archives.
std::string runtimeLibraryDir() {
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable("lmc", (void *)&anchor);
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(dir, "..", "lib");
  return std::string(dir);
}

/// The C++ compiler driver used to link: $LMC_CXX, the compiler lmc was
/// built with, or `c++` from PATH.
std::string linkerDriver() {
  if (const char *env = std::getenv("LMC_CXX"); env && *env)
    return env;
  if (llvm::sys::fs::can_execute(LMC_HOST_CXX))
    return LMC_HOST_CXX;
  if (auto found = llvm::sys::findProgramByName("c++"))
    return *found;
  return "";
}
} // namespace

bool lmc::linkExecutable(const std::string &objectPath,
                         const std::string &outputPath, std::string &error) {
  std::string driver = linkerDriver();
  if (driver.empty()) {
    error = "no C++ compiler found to link with (set LMC_CXX)";
    return false;
  }
  std::string libDir = runtimeLibraryDir();
  const char *archives[] = {"liblmcrt_main.a", "liblmcrt.a", "libLMCTokenizer.a"};
  std::vector<std::string> args{driver, "-o", outputPath, objectPath};
  for (const char *archive : archives) {
    llvm::SmallString<256> path(libDir);
    llvm::sys::path::append(path, archive);
    if (!llvm::sys::fs::exists(path)) {
      error = "lmc runtime library not found: " + std::string(path);
      return false;
    }
    args.push_back(std::string(path));
  }
  for (const char *lib : {"-lpcre2-8", "-lpthread", "-lm"})
    args.push_back(lib);

  llvm::SmallString<128> log;
  llvm::sys::fs::createTemporaryFile("lmc-link", "log", log);
  llvm::FileRemover removeLog(log);
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log),
                                                llvm::StringRef(log)};
  std::string execError;
  int status = llvm::sys::ExecuteAndWait(driver, argRefs, std::nullopt, redirects,
                                         /*SecondsToWait=*/0, /*MemoryLimit=*/0,
                                         &execError);
  if (status == 0)
    return true;
  std::string detail = execError;
  if (auto buffer = llvm::MemoryBuffer::getFile(log)) {
    llvm::StringRef text = (*buffer)->getBuffer().trim();
    // The first line of the linker's complaint is the useful one.
    detail = text.split('\n').first.str();
  }
  error = "linking '" + outputPath + "' failed" +
          (detail.empty() ? "" : ": " + detail);
  return false;
}
