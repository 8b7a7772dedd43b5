//===- lmc-opt.cpp - mlir-opt with tfm and the lmc passes -----------------===//
#include "compiler/Registration.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  lmc::registerAllDialectsAndExtensions(registry);
  lmc::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "lmc optimizer driver\n", registry));
}
