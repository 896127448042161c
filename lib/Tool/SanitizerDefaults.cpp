//===- SanitizerDefaults.cpp - ASan options of a sanitized covlock build --===//
//
// Linked into every executable of a -DCOVLOCK_SANITIZE build (the tools,
// the unit tests, the fuzzers).
//
// LLVM's BumpPtrAllocator poisons the unused part of each slab and
// unpoisons what it hands out, but only where its inline code was compiled
// with AddressSanitizer (LLVM_ADDRESS_SANITIZER_BUILD in
// llvm/Support/Compiler.h). In a build where covlock is sanitized and the
// installed libLLVM is not, a slab made by covlock's inline copy is
// poisoned, and libLLVM's own allocations from it (StringSaver::save is
// compiled there) are never unpoisoned: ASan reports use-after-poison on
// memory that is in fact allocated. The allocator's poisoning is advisory,
// so a sanitized covlock turns user poisoning off; every other check stays.
//
//===----------------------------------------------------------------------===//

extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}
