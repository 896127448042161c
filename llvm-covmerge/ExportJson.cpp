//===- ExportJson.cpp - llvm-covmerge export --format=json ----------------===//
//
// One label as llvm-cov export's JSON ("llvm.coverage.json.export"): the
// stock llvm-cov's own output for the label's aggregate profile and its
// binaries, so every field it has is llvm-cov's, and tools that read
// llvm-cov's JSON read it. covlock adds one top-level object, "covlock",
// with what llvm-cov cannot know (docs/llvm-covmerge.md, "export"):
//
//   "covlock": {
//     "version": 1,
//     "label": "linux",
//     "files": [ {"filename": F, "executable_lines": [...],
//                 "covered_lines": [...]} ],            // the label's, by file
//     "tests": [ {"test": "t1" or null (outside tests), "test_hex": "7431",
//                 "confidence": "exact",
//                 "outcome": "pass", // report --by-test's Outcome
//                 "test_ends": {"passed": 1, "failed": 0, "skipped": 0},
//                 "files": [ {"filename": F, "covered_lines": [...]} ]} ]
//   }
//
// Lines are sorted; files by path; tests as contexts are ordered.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <map>

using namespace llvm;
using namespace covlock;

static json::Array linesArray(ArrayRef<uint32_t> Lines) {
  json::Array A;
  for (uint32_t L : Lines)
    A.push_back(int64_t(L));
  return A;
}

/// The "covlock" object of label \p LabelId.
static Expected<json::Object> covlockObject(const CovDB &DB, int64_t LabelId) {
  auto Contexts = DB.contexts(LabelId, std::nullopt);
  if (!Contexts)
    return Contexts.takeError();
  auto Executable = DB.executableLines(LabelId);
  if (!Executable)
    return Executable.takeError();
  std::map<std::string, std::vector<uint32_t>> Covered; // the label's
  json::Array Tests;
  for (const CovDB::ContextInfo &C : *Contexts) {
    auto Files = DB.coveredLines(C.Id);
    if (!Files)
      return Files.takeError();
    json::Array TestFiles;
    for (const CovDB::FileLines &F : *Files) {
      TestFiles.push_back(json::Object{{"filename", F.Path},
                                       {"covered_lines", linesArray(F.Lines)}});
      std::vector<uint32_t> &All = Covered[F.Path];
      std::vector<uint32_t> Union;
      std::set_union(All.begin(), All.end(), F.Lines.begin(), F.Lines.end(),
                     std::back_inserter(Union));
      All = std::move(Union);
    }
    // JSON text must be UTF-8: "test" is readable, "test_hex" exact.
    TestOutcomes O = C.outcomes();
    json::Object Test{{"test", C.Test ? json::Value(json::fixUTF8(*C.Test))
                                      : json::Value(nullptr)},
                      {"confidence", confidenceName(C.Conf)},
                      {"outcome", O.summary()},
                      {"test_ends", json::Object{{"passed", O.Passed},
                                                 {"failed", O.Failed},
                                                 {"skipped", O.Skipped}}},
                      {"files", std::move(TestFiles)}};
    if (C.Test)
      Test["test_hex"] = toHex(*C.Test, /*LowerCase=*/true);
    Tests.push_back(std::move(Test));
  }
  json::Array LabelFiles;
  for (const CovDB::FileLines &F : *Executable)
    LabelFiles.push_back(
        json::Object{{"filename", F.Path},
                     {"executable_lines", linesArray(F.Lines)},
                     {"covered_lines", linesArray(Covered[F.Path])}});
  std::string Label;
  if (!Contexts->empty())
    Label = Contexts->front().Label;
  return json::Object{{"version", 1},
                      {"label", Label},
                      {"files", std::move(LabelFiles)},
                      {"tests", std::move(Tests)}};
}

Error exportJson(const CovDB &DB, int64_t LabelId, raw_ostream &OS) {
  SmallString<128> Tmp;
  if (std::error_code EC =
          sys::fs::createTemporaryFile("covmerge-export", "json", Tmp))
    return createFileError("covmerge-export.json", EC);
  auto Remove = make_scope_exit([&] { sys::fs::remove(Tmp); });
  if (Error E = runLlvmCovOnLabel(DB, LabelId, {"export", "-format=text"},
                                  StringRef(Tmp)))
    return E;
  auto Text = MemoryBuffer::getFile(Tmp);
  if (!Text)
    return createFileError(Tmp, errorCodeToError(Text.getError()));
  Expected<json::Value> Export = json::parse((*Text)->getBuffer());
  if (!Export)
    return Export.takeError();
  json::Object *Top = Export->getAsObject();
  if (!Top)
    return createStringError(inconvertibleErrorCode(),
                             "llvm-cov export wrote no JSON object");
  Expected<json::Object> Covlock = covlockObject(DB, LabelId);
  if (!Covlock)
    return Covlock.takeError();
  (*Top)["covlock"] = std::move(*Covlock);
  OS << *Export << '\n';
  return Error::success();
}
