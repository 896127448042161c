//===- TestingSupport.cpp - llvm/Testing/Support/Error.h for covlock ------===//
//
// LLVM's packages ship the header of its testing support (EXPECT_THAT_ERROR,
// ASSERT_THAT_EXPECTED) but not the library defining the one function the
// header declares: this is it.
//
//===----------------------------------------------------------------------===//

#include "llvm/Testing/Support/Error.h"

llvm::detail::ErrorHolder llvm::detail::TakeError(llvm::Error Err) {
  std::vector<std::shared_ptr<ErrorInfoBase>> Infos;
  handleAllErrors(std::move(Err),
                  [&Infos](std::unique_ptr<ErrorInfoBase> Info) {
                    Infos.emplace_back(std::move(Info));
                  });
  return {std::move(Infos)};
}
